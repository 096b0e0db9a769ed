import type { Static } from 'typebox';
import type { ScopedTokenRecord, TokenPassword, TokenPasswordName } from '../../storage/metadata-store.ts';
import type { ApiContext } from '../context.ts';
import { armTime, NO_EXPIRY, REGISTRY_TYPE, RESOURCE_GROUP } from '../resource-ids.ts';
import { scopeMapId } from '../scope-maps/presenter.ts';
import type { GeneratedCredentials, Token } from './schemas.ts';

type PasswordEntry = Static<typeof Token>['credentials']['passwords'][number];

/** Values just generated, by slot; shown this once. */
export type NewValues = Partial<Record<TokenPasswordName, string>>;

function entry(name: TokenPasswordName, password: TokenPassword, value: string | undefined): PasswordEntry {
  return {
    creationTime: armTime(password.createdAt),
    expiry: password.expiresAt === undefined ? NO_EXPIRY : armTime(password.expiresAt),
    name,
    ...(value === undefined ? {} : { value }),
  };
}

function passwordsOf(token: ScopedTokenRecord, values: NewValues, only?: readonly TokenPasswordName[]): PasswordEntry[] {
  const slots: [TokenPasswordName, TokenPassword | undefined][] = [['password1', token.password1], ['password2', token.password2]];
  return slots.flatMap(([name, password]) => (password && (only === undefined || only.includes(name)) ? [entry(name, password, values[name])] : []));
}

export function presentToken(token: ScopedTokenRecord, ctx: ApiContext, values: NewValues = {}): Static<typeof Token> {
  return {
    creationDate: armTime(token.createdAt),
    credentials: { certificates: [], passwords: passwordsOf(token, values), username: token.name },
    id: `${ctx.registry.id}/tokens/${token.name}`,
    name: token.name,
    objectId: token.objectId,
    provisioningState: 'Succeeded',
    resourceGroup: RESOURCE_GROUP,
    scopeMapId: scopeMapId(ctx, token.scopeMapName),
    status: token.status,
    type: `${REGISTRY_TYPE}/tokens`,
  };
}

export function presentGenerated(token: ScopedTokenRecord, values: NewValues): Static<typeof GeneratedCredentials> {
  return { passwords: passwordsOf(token, values, Object.keys(values) as TokenPasswordName[]), username: token.name };
}
