// pdfjs-dist ships no types for its worker half; only its presence matters here (see loadPdfJs in pdf.ts).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
