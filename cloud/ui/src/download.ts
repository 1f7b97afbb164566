import { ApiError, loadSession, sessionRefused } from './api.js';

/** The file name a `Content-Disposition: attachment; filename="…"` header gives, if any. */
export function attachmentName(header: string | null): string | undefined {
  return header ? /filename="([^"]+)"/.exec(header)?.[1] : undefined;
}

/**
 * Downloads a file the API serves only with the session's bearer token (a plain link would be a
 * 401): fetched with the token, then saved from a Blob URL. Needs no change to the page's policy:
 * a download is neither a fetch nor a navigation the policy governs.
 */
export async function downloadWithSession(path: string, fallbackName: string): Promise<string> {
  const session = loadSession();
  let response: Response;
  try {
    response = await fetch(path, {
      headers: session ? { authorization: `Bearer ${session.token}` } : {},
    });
  } catch {
    throw new ApiError(0, 'PW_NETWORK', 'the cloud did not answer; check the connection and try again');
  }
  if (response.status === 401) sessionRefused();
  if (!response.ok) {
    const reply = (await response.json().catch(() => undefined)) as
      { code?: string; message?: string } | undefined;
    throw new ApiError(response.status, reply?.code, reply?.message ?? `${response.status} from ${path}`);
  }
  const name = attachmentName(response.headers.get('content-disposition')) ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the blob once the click is handled; keep it a moment for slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
