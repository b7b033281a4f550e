/**
 * Construction of the Document AI client with the settings the engine depends on.
 */
// The v1 client alone: the package index also loads the v1beta3 client and the generated classes of every
// API version (2 MB of JavaScript evaluated on each cold start, for types this code never uses at run time).
import { DocumentProcessorServiceClient } from '@google-cloud/documentai/build/src/v1/document_processor_service_client.js';
import { credentials } from '@grpc/grpc-js';

/** Responses with page images exceed gRPC's default 4 MB receive limit and then fail as RESOURCE_EXHAUSTED. */
export const DOCUMENT_AI_MAX_RECEIVE_BYTES = 256 * 1024 * 1024;

/**
 * A `DocumentProcessorServiceClient` for the processor's location (`eu`, `us`) with the gRPC receive limit
 * raised to {@link DOCUMENT_AI_MAX_RECEIVE_BYTES}. Credentials come from the environment (ADC).
 *
 * `endpoint` (`host:port`) replaces Google's endpoint with a plain-gRPC one, without TLS and without
 * credentials: a local stand-in answering like the service (tests and emulated runs; there is no Document
 * AI emulator). Only ever set in those runs.
 */
export function createDocumentAiClient(location: string, endpoint?: string): DocumentProcessorServiceClient {
  const limits = {
    'grpc.max_receive_message_length': DOCUMENT_AI_MAX_RECEIVE_BYTES,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  };
  if (endpoint) {
    const colon = endpoint.lastIndexOf(':');
    return new DocumentProcessorServiceClient({
      apiEndpoint: endpoint.slice(0, colon),
      port: Number(endpoint.slice(colon + 1)),
      sslCreds: credentials.createInsecure(),
      ...limits,
    });
  }
  return new DocumentProcessorServiceClient({ apiEndpoint: `${location}-documentai.googleapis.com`, ...limits });
}
