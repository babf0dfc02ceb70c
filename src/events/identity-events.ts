/**
 * Identity events: users (`user-<id>`), the email each user holds (`email-<address>`, claimed by
 * the first append, so two users can never share one), and roles with their permission maps and
 * members (`role-<name>`).
 */

export type UserEvent =
  | {
      readonly type: 'UserCreated';
      readonly data: {
        readonly userId: string;
        readonly email: string;
        readonly by: string;
        readonly at: string;
      };
    }
  | { readonly type: 'UserDeactivated'; readonly data: { readonly by: string; readonly at: string } }
  | { readonly type: 'UserReactivated'; readonly data: { readonly by: string; readonly at: string } }
  | { readonly type: 'UserDeleted'; readonly data: { readonly by: string; readonly at: string } };

export type EmailEvent =
  | {
      readonly type: 'EmailClaimed';
      readonly data: { readonly email: string; readonly userId: string; readonly at: string };
    }
  | { readonly type: 'EmailReleased'; readonly data: { readonly userId: string; readonly at: string } };

export type PermissionMap = Readonly<Record<string, boolean>>;

export type RoleEvent =
  | {
      readonly type: 'RoleCreated';
      readonly data: {
        readonly roleId: string;
        readonly name: string;
        readonly description: string | null;
        readonly emailDomain: string | null;
        readonly permissions: PermissionMap;
        readonly at: string;
      };
    }
  | {
      readonly type: 'RoleUpdated';
      readonly data: {
        readonly description?: string | null;
        readonly emailDomain?: string | null;
        readonly at: string;
      };
    }
  | {
      /** set: true/false entries written; removed: keys taken out of the map */
      readonly type: 'RolePermissionsChanged';
      readonly data: {
        readonly set: PermissionMap;
        readonly removed: readonly string[];
        readonly at: string;
      };
    }
  | { readonly type: 'RoleMemberAdded'; readonly data: { readonly userId: string; readonly at: string } }
  | { readonly type: 'RoleMemberRemoved'; readonly data: { readonly userId: string; readonly at: string } }
  | { readonly type: 'RoleDeleted'; readonly data: { readonly at: string } };

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
