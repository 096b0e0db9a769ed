import Type from 'typebox';
import { Guid } from '../schemas.ts';

export const Password = Type.String({ minLength: 8, maxLength: 1024, description: 'at least 8 characters' });

export const User = Type.Object({
  accountEnabled: Type.Boolean(),
  displayName: Type.String(),
  objectId: Guid,
  userPrincipalName: Type.String(),
});

export const CreatedUser = Type.Object({
  ...User.properties,
  password: Type.Optional(Type.String({ description: 'the generated password, shown once (absent when the request gave one)' })),
});

export const UserCreate = Type.Object(
  {
    userPrincipalName: Type.String({ minLength: 1, maxLength: 256, description: 'the login name; no colon, no control characters' }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);

export const UserUpdate = Type.Object(
  {
    password: Type.Optional(Password),
    accountEnabled: Type.Optional(Type.Boolean()),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const UserParams = Type.Object({ user: Type.String({ description: 'userPrincipalName or objectId' }) });
