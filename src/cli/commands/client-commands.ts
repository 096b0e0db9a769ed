import type { Command } from 'commander';
import { registerAdCommands } from './ad.ts';
import { registerAuditCommands } from './audit.ts';
import { registerCheckHealthCommand } from './check-health.ts';
import { registerContentTrustCommands } from './content-trust.ts';
import { registerImportCommands } from './import.ts';
import { registerLoginCommands } from './login.ts';
import { registerRegistryCommands } from './registry.ts';
import { registerRepositoryCommands } from './repository.ts';
import { registerRoleAssignmentCommands } from './role-assignment.ts';
import { registerScopeMapCommands } from './scope-map.ts';
import { registerTokenCommands } from './token.ts';
import { registerWebhookCommands } from './webhook.ts';

/** The client side of `wharf`: login and the management API commands (docs/cli.md). */
export function registerClientCommands(program: Command): void {
  registerLoginCommands(program);
  registerRegistryCommands(program);
  registerCheckHealthCommand(program);
  registerRoleAssignmentCommands(program);
  registerAdCommands(program);
  registerScopeMapCommands(program);
  registerTokenCommands(program);
  registerImportCommands(program);
  registerAuditCommands(program);
  registerWebhookCommands(program);
  // Before content trust, which adds `repository trust reset` to this group.
  registerRepositoryCommands(program);
  registerContentTrustCommands(program);
}
