/**
 * Drop files or a folder: each file gets its own signed upload URL (POST /v1/uploads: server-chosen name, exact
 * size, content type, short expiry) and goes straight to the bucket with a PUT whose progress is shown per file.
 * XMLHttpRequest, not fetch: only it reports upload progress. Unsupported types and oversized files are refused
 * before anything is sent, with the reason; an expired URL says so.
 */
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';

const TYPES: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', tif: 'image/tiff', tiff: 'image/tiff', webp: 'image/webp', xml: 'application/xml',
};
export const MAX_UPLOAD_BYTES = 40 * 1024 * 1024;

interface SignedUpload {
  url: string;
  headers: Record<string, string>;
  objectName: string;
  expiresAt: string;
}

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  state: 'waiting' | 'uploading' | 'done' | 'error';
  progress: number;
  message: string;
  invoiceId?: string | undefined;
}

function typeOf(file: File): string | null {
  const ext = file.name.toLowerCase().split('.').pop() ?? '';
  if (TYPES[ext]) return TYPES[ext]!;
  return Object.values(TYPES).includes(file.type) ? file.type : null;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function put(signed: SignedUpload, file: File, contentType: string, onProgress: (fraction: number) => void): Promise<{ invoiceId?: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', signed.url);
    for (const [k, v] of Object.entries(signed.headers)) {
      // The browser sets Content-Length itself (forbidden header).
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    }
    if (!Object.keys(signed.headers).some((k) => k.toLowerCase() === 'content-type')) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new Error('the connection failed during the upload; try again'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        let invoiceId: string | undefined;
        try {
          invoiceId = (JSON.parse(xhr.responseText) as { invoiceId?: string }).invoiceId;
        } catch {
          // Cloud Storage answers with an empty body: the invoice shows up in the table when it is processed
        }
        resolve({ invoiceId });
        return;
      }
      const text = xhr.responseText || '';
      if (/expired/i.test(text) || Date.parse(signed.expiresAt) < Date.now()) reject(new Error('the upload link expired before the file was sent; drop the file again'));
      else if (xhr.status === 413 || /too large|EntityTooLarge/i.test(text)) reject(new Error('the file is larger than allowed'));
      else reject(new Error(`the bucket refused the file (HTTP ${xhr.status})`));
    };
    xhr.send(file);
  });
}

/** Files of a drop, folders walked (webkitGetAsEntry: the only way a dropped folder's files are listed). */
async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files);
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      out.push(await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

let counter = 0;

export function UploadPanel() {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const update = (key: string, patch: Partial<UploadItem>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  async function start(files: File[]) {
    const batch = files
      .filter((f) => !f.name.startsWith('.'))
      .map((f) => ({ file: f, item: { key: `u${++counter}`, name: f.name, size: f.size, state: 'waiting' as const, progress: 0, message: 'Waiting' } }));
    setItems((list) => [...batch.map((b) => b.item), ...list].slice(0, 200));
    // Three at a time: enough to fill the line, few enough that each bar moves.
    const queue = [...batch];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { file, item } = next;
        const type = typeOf(file);
        if (!type) {
          update(item.key, { state: 'error', message: 'Not a supported file type: use PDF, PNG, JPEG, TIFF, WebP or XML' });
          continue;
        }
        if (file.size === 0) {
          update(item.key, { state: 'error', message: 'The file is empty' });
          continue;
        }
        if (file.size > MAX_UPLOAD_BYTES) {
          update(item.key, { state: 'error', message: `Too large: ${mib(file.size)} (at most ${mib(MAX_UPLOAD_BYTES)})` });
          continue;
        }
        try {
          update(item.key, { state: 'uploading', message: 'Uploading' });
          const signed = await api<SignedUpload>('/v1/uploads', { method: 'POST', body: { fileName: file.name.slice(0, 200), contentType: type, sizeBytes: file.size } });
          const { invoiceId } = await put(signed, file, type, (p) => update(item.key, { progress: p }));
          update(item.key, { state: 'done', progress: 1, message: 'Uploaded: processing', invoiceId });
        } catch (err) {
          const message = err instanceof ApiError
            ? err.code === 'UNSUPPORTED_TYPE' ? 'Not a supported file type' : err.code === 'FILE_TOO_LARGE' ? 'The file is larger than allowed' : err.message
            : (err as Error).message;
          update(item.key, { state: 'error', message: message.charAt(0).toUpperCase() + message.slice(1) });
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  return (
    <section class="upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload invoices</h2>
      <div
        class={over ? 'dropzone over' : 'dropzone'}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={async (e) => {
          e.preventDefault();
          setOver(false);
          if (e.dataTransfer) void start(await droppedFiles(e.dataTransfer));
        }}
      >
        <p>Drop PDF, image or XML invoices here, or a whole folder.</p>
        <button type="button" onClick={() => input.current?.click()}>Choose files</button>{' '}
        <button type="button" class="secondary" onClick={() => folderInput.current?.click()}>Choose a folder</button>
        <input
          ref={input}
          type="file"
          multiple
          class="visually-hidden"
          aria-label="Choose invoice files"
          accept=".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,.xml"
          onChange={(e) => {
            const files = Array.from((e.target as HTMLInputElement).files ?? []);
            (e.target as HTMLInputElement).value = '';
            void start(files);
          }}
        />
        <input
          // A folder's files, subfolders included (webkitdirectory: every current browser has it under this name).
          ref={(el) => {
            folderInput.current = el;
            el?.setAttribute('webkitdirectory', '');
          }}
          type="file"
          multiple
          class="visually-hidden"
          aria-label="Choose a folder of invoices"
          onChange={(e) => {
            const files = Array.from((e.target as HTMLInputElement).files ?? []);
            (e.target as HTMLInputElement).value = '';
            void start(files);
          }}
        />
      </div>
      {items.length > 0 && (
        <ul class="uploads" aria-live="polite">
          {items.map((i) => (
            <li key={i.key} class={`upload-item ${i.state}`} data-testid="upload-item">
              <span class="upload-name">{i.name}</span>
              <progress max={1} value={i.progress} aria-label={`Upload of ${i.name}`} />
              <span class="upload-message">
                {i.message}
                {i.invoiceId && (
                  <>
                    {' '}
                    <a href={`/invoices/${encodeURIComponent(i.invoiceId)}`}>open</a>
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
