/**
 * The port the roles and users sections read the platform's roles and users through (the identity
 * read model's queries serve it), so the config's write side never imports the read side.
 */
export interface RoleListing {
  readonly name: string;
  readonly description: string | null;
  readonly email_domain: string | null;
  readonly permissions: Readonly<Record<string, boolean>>;
}

export interface UserListing {
  readonly email: string;
  readonly active: boolean;
  readonly roles: readonly string[];
}

export interface IdentityCatalog {
  roles(o: { skip: number; limit: number }): Promise<readonly RoleListing[]>;
  users(o: { skip: number; limit: number }): Promise<readonly UserListing[]>;
}
