/**
 * Downloads a file the hub makes (a transcript PDF, a report export) with the session cookie,
 * so a refusal shows as the hub's error instead of a saved error page.
 */
import { ApiError } from '../../api/hub';
import { parseErrorBody } from '@smsgate/shared/api/errors';

/** The file name of a `Content-Disposition` header, if it gives one. */
export function fileNameOf(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(disposition);
  const name = plain?.[1] ?? plain?.[2];
  return name ? name.trim() : undefined;
}

export async function download(url: string, fallbackName: string): Promise<string> {
  let r: Response;
  try {
    r = await fetch(url, { credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, e instanceof Error ? e.message : String(e));
  }
  if (!r.ok) {
    let body: unknown;
    try {
      body = await r.json();
    } catch {
      body = undefined;
    }
    throw parseErrorBody(r.status, body, r.statusText || `HTTP ${r.status}`);
  }
  const name = fileNameOf(r.headers.get('content-disposition')) ?? fallbackName;
  const blob = await r.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}
