/** TUF models (camelCase); wire names appear only in the *FromJSON / *ToJSON functions. */
export * from './envelope.ts';
export * from './expiry.ts';
export * from './file-meta.ts';
export * from './key.ts';
export * from './role-keys.ts';
export * from './root.ts';
export * from './snapshot.ts';
export * from './targets.ts';
