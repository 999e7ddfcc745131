/**
 * Sends a file as the raw request body with upload progress (fetch has none): the session
 * cookie goes with it (same origin). Resolves with the JSON answer; rejects with an `ApiError`
 * carrying the hub's error (field, per-line details).
 */
import { ApiError } from '@smsgate/shared/api/client';
import { parseErrorBody } from '@smsgate/shared/api/errors';

export type UploadPhase = { phase: 'uploading'; percent: number } | { phase: 'checking' };

export function uploadFile<T>(url: string, file: Blob, contentType: string, onProgress: (p: UploadPhase) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress({ phase: 'uploading', percent: Math.round((e.loaded / e.total) * 100) });
    };
    xhr.upload.onload = () => onProgress({ phase: 'checking' });
    xhr.onerror = () => reject(new ApiError(0, 'network'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(parseErrorBody(xhr.status, body, xhr.statusText || `HTTP ${xhr.status}`));
    };
    onProgress({ phase: 'uploading', percent: 0 });
    xhr.send(file);
  });
}
