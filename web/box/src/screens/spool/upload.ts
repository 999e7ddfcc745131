/**
 * The spool screen's uploads: a dialer CSV (`POST /api/v1/bulk/messages?group=`) or a
 * do-not-contact list (`POST /api/v1/bulk/blocklist`), sent as a `multipart/form-data` form
 * whose `file` field carries the file with its name — what a browser's file input sends and
 * what the gateway's upload extractor reads (it takes a raw body too, for curl).
 */

/** Which list a file fills. */
export type UploadKind = 'dialer' | 'blocklist';

/** The form field the gateway reads the file from (`gateway/src/api/upload.rs`). */
export const UPLOAD_FIELD = 'file';

/** The endpoint for `kind` (a dialer file goes to one group). */
export function uploadUrl(kind: UploadKind, group: string): string {
  return kind === 'dialer' ? `/api/v1/bulk/messages?group=${encodeURIComponent(group)}` : '/api/v1/bulk/blocklist';
}

/**
 * The request for `file`: a form with the file in its `file` field. No content-type is set
 * by hand: the platform writes `multipart/form-data` with the boundary it chose.
 */
export function uploadRequest(kind: UploadKind, group: string, file: File): { url: string; init: RequestInit } {
  const form = new FormData();
  form.append(UPLOAD_FIELD, file, file.name);
  return {
    url: uploadUrl(kind, group),
    init: { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' }, body: form },
  };
}
