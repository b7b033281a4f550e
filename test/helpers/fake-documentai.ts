/**
 * A stand-in for Google Document AI on a local port, speaking its real gRPC API (the service definition of the
 * protos shipped in @google-cloud/documentai), so that the real `DocumentProcessorServiceClient` (and with it
 * gax's decoding, the engine's retries and the response mapping) runs unchanged: point it here with
 * LEDGERX_DOCAI_ENDPOINT=<endpoint> (plain gRPC, no TLS, no credentials). There is no Document AI emulator.
 *
 * `processDocument` answers with the Document registered for the request's bytes (by SHA-256), else the
 * default one: a saved real response (../shared/data/docai-samples) or one built by the test, e.g. from the
 * text layer of a generated PDF with {@link documentFromOcr}. An answer can also be a gRPC error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { camelizeKeys } from '../../functions/adapters/gcp/docai-mapping.js';
import type { OcrDocument } from '../../functions/core/ocr-document.js';

export type DocumentAnswer = { document: Record<string, unknown> } | { error: { code: grpc.status; message: string } };

export interface DocumentAiCall {
  /** The processor version the request named. */
  name: string;
  mimeType: string;
  sha256: string;
  bytes: number;
  /** Whether it was answered with a document (else with an error). */
  answered: boolean;
  /** Pages of the document answered (0 for an error). */
  pages: number;
}

export interface FakeDocumentAi {
  /** `127.0.0.1:PORT`: the value of LEDGERX_DOCAI_ENDPOINT. */
  endpoint: string;
  /** Answers requests for the file with this SHA-256 (hex) from now on. */
  answer(sha256: string, answer: DocumentAnswer): void;
  /** Answers every file without an answer of its own. */
  answerOthers(answer: DocumentAnswer): void;
  readonly calls: DocumentAiCall[];
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

function serviceDefinition(): grpc.ServiceDefinition {
  const json = require('@google-cloud/documentai/build/protos/protos.json') as protoLoader.Options;
  const definition = protoLoader.fromJSON(json as never, { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true });
  return definition['google.cloud.documentai.v1.DocumentProcessorService'] as grpc.ServiceDefinition;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startFakeDocumentAi(): Promise<FakeDocumentAi> {
  const answers = new Map<string, DocumentAnswer>();
  let others: DocumentAnswer = { error: { code: grpc.status.FAILED_PRECONDITION, message: 'the fake Document AI has no answer for this file' } };
  const calls: DocumentAiCall[] = [];
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by the fake Document AI' });
  server.addService(serviceDefinition(), {
    processDocument(call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const request = call.request as { name?: string; rawDocument?: { content?: Buffer; mimeType?: string } };
      const content = request.rawDocument?.content ?? Buffer.alloc(0);
      const sha256 = createHash('sha256').update(content).digest('hex');
      const answer = answers.get(sha256) ?? others;
      const pages = 'document' in answer && Array.isArray(answer.document.pages) ? answer.document.pages.length : 0;
      calls.push({ name: request.name ?? '', mimeType: request.rawDocument?.mimeType ?? '', sha256, bytes: content.length, answered: 'document' in answer, pages });
      if ('error' in answer) callback({ code: answer.error.code, details: answer.error.message });
      else callback(null, { document: answer.document });
    },
    batchProcessDocuments: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    calls,
    answer: (sha256, answer) => void answers.set(sha256, answer),
    answerOthers: (answer) => void (others = answer),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/** SHA-256 (hex) of a file's bytes, the key of {@link FakeDocumentAi.answer}. */
export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The shared data folder (LEDGERX_SHARED_DATA, else ../shared/data beside the repository). */
export function sharedDataDir(): string {
  return process.env.LEDGERX_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
}

/** A saved real Document AI response of docai-samples as a camelCase Document, or null when the data is absent. */
export function savedDocument(relative: string): Record<string, unknown> | null {
  const file = path.join(sharedDataDir(), 'docai-samples', relative);
  if (!existsSync(file)) return null;
  const json = camelizeKeys(JSON.parse(readFileSync(file, 'utf8'))) as Record<string, unknown>;
  const doc = (json.document as Record<string, unknown> | undefined) ?? json;
  // Batch-output bookkeeping is no part of an online answer.
  const { shardInfo: _shard, uri: _uri, ...rest } = doc;
  return rest;
}

/**
 * A Document AI Document carrying what a text-layer read of the same file found: the full text, and per page
 * its size in points, its lines and tokens with text anchors and normalized boxes, as the Invoice Parser
 * returns them (no entities: extraction then works from the layout, as with any Document AI page).
 */
export function documentFromOcr(doc: OcrDocument): Record<string, unknown> {
  let text = '';
  const anchor = (s: string) => {
    const start = text.length;
    text += s;
    return { textSegments: [{ startIndex: String(start), endIndex: String(text.length) }] };
  };
  const poly = (b: { x: number; y: number; w: number; h: number }) => ({
    normalizedVertices: [
      { x: b.x, y: b.y },
      { x: b.x + b.w, y: b.y },
      { x: b.x + b.w, y: b.y + b.h },
      { x: b.x, y: b.y + b.h },
    ],
  });
  const pages = doc.pages.map((page, i) => {
    const lines: unknown[] = [];
    const tokens: unknown[] = [];
    for (const line of page.lines) {
      const lineStart = text.length;
      line.tokens.forEach((token, t) => {
        if (t > 0) text += ' ';
        tokens.push({ layout: { textAnchor: anchor(token.text), confidence: 0.98, boundingPoly: poly(token.box) } });
      });
      if (line.tokens.length === 0) anchor(line.text);
      lines.push({
        layout: { textAnchor: { textSegments: [{ startIndex: String(lineStart), endIndex: String(text.length) }] }, confidence: 0.98, boundingPoly: poly(line.box) },
      });
      text += '\n';
    }
    if (i < doc.pages.length - 1) text += '\f';
    return {
      pageNumber: i + 1,
      dimension: { width: page.width, height: page.height, unit: 'points' },
      layout: { confidence: 0.98 },
      lines,
      tokens,
      detectedLanguages: page.languages.map((l) => ({ languageCode: l.slice(0, 2), confidence: 0.9 })),
    };
  });
  return { mimeType: doc.mimeType, text, pages, entities: [] };
}
