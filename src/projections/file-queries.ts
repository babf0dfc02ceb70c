/**
 * Reads of the files read model: a name as a caller sees it (their own file first, else a shared
 * one; another user's private file only with `:all`), a collection's visible files with their
 * versions, one version, and the bytes a collection holds (its quota).
 */
import type pg from 'pg';

export interface FileRow {
  readonly id: string;
  readonly collection_id: string;
  readonly namespace: string;
  readonly collection: string;
  readonly name: string;
  readonly owner_id: string;
  readonly visibility: 'private' | 'shared';
  readonly content_type: string;
  readonly current_version: number;
  readonly file_metadata: Record<string, unknown>;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface VersionRow {
  readonly file_id: string;
  readonly version_number: number;
  readonly blob_key: string;
  readonly size_bytes: string;
  readonly hash_sha256: string;
  readonly content_type: string;
  readonly uploaded_by: string;
  readonly created_at: Date;
}

/** who reads: `all` sees every user's private files too */
export interface Viewer {
  readonly userId: string;
  readonly all: boolean;
}

const VISIBLE = `(visibility = 'shared' OR owner_id = $2 OR $3)`;

export class FileQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** the file `name` as `who` sees it: their own first, then a shared one, then (with `all`) anyone's */
  async find(collectionId: string, name: string, who: Viewer): Promise<FileRow | undefined> {
    const { rows } = await this.pool.query<FileRow>(
      `SELECT * FROM files WHERE collection_id = $1 AND name = $4 AND ${VISIBLE}
       ORDER BY (owner_id = $2) DESC, (visibility = 'shared') DESC, created_at LIMIT 1`,
      [collectionId, who.userId, who.all, name],
    );
    return rows[0];
  }

  /** whether a file of that name would clash: the same owner's, or a shared one when `shared` */
  async taken(collectionId: string, name: string, ownerId: string, shared: boolean): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM files WHERE collection_id = $1 AND name = $2
         AND (owner_id = $3 OR visibility = 'shared' OR $4) LIMIT 1`,
      [collectionId, name, ownerId, shared],
    );
    return rows.length > 0;
  }

  async list(collectionId: string, who: Viewer, limit = 1000): Promise<FileRow[]> {
    const { rows } = await this.pool.query<FileRow>(
      `SELECT * FROM files WHERE collection_id = $1 AND ${VISIBLE} ORDER BY name, created_at LIMIT $4`,
      [collectionId, who.userId, who.all, limit],
    );
    return rows;
  }

  async versions(fileIds: readonly string[]): Promise<VersionRow[]> {
    if (fileIds.length === 0) return [];
    const { rows } = await this.pool.query<VersionRow>(
      'SELECT * FROM file_versions WHERE file_id = ANY($1::uuid[]) ORDER BY file_id, version_number',
      [fileIds],
    );
    return rows;
  }

  async version(fileId: string, version: number): Promise<VersionRow | undefined> {
    const { rows } = await this.pool.query<VersionRow>(
      'SELECT * FROM file_versions WHERE file_id = $1 AND version_number = $2',
      [fileId, version],
    );
    return rows[0];
  }

  async byId(fileId: string): Promise<FileRow | undefined> {
    const { rows } = await this.pool.query<FileRow>('SELECT * FROM files WHERE id = $1', [fileId]);
    return rows[0];
  }

  /** bytes of every version of every file in the collection (what its quota counts) */
  async totalBytes(collectionId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT COALESCE(SUM(v.size_bytes), 0) AS n FROM file_versions v JOIN files f ON f.id = v.file_id
       WHERE f.collection_id = $1`,
      [collectionId],
    );
    return Number(rows[0]!.n);
  }

  /** every live file of a collection, whoever owns it (a deleted collection's purge) */
  async idsOfCollection(collectionId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM files WHERE collection_id = $1 ORDER BY id',
      [collectionId],
    );
    return rows.map((r) => r.id);
  }
}
