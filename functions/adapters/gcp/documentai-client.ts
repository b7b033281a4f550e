/**
 * Construction of the Document AI client with the settings the engine depends on.
 */
import { DocumentProcessorServiceClient } from '@google-cloud/documentai';

/** Responses with page images exceed gRPC's default 4 MB receive limit and then fail as RESOURCE_EXHAUSTED. */
export const DOCUMENT_AI_MAX_RECEIVE_BYTES = 256 * 1024 * 1024;

/**
 * A `DocumentProcessorServiceClient` for the processor's location (`eu`, `us`) with the gRPC receive limit
 * raised to {@link DOCUMENT_AI_MAX_RECEIVE_BYTES}. Credentials come from the environment (ADC).
 */
export function createDocumentAiClient(location: string): DocumentProcessorServiceClient {
  return new DocumentProcessorServiceClient({
    apiEndpoint: `${location}-documentai.googleapis.com`,
    'grpc.max_receive_message_length': DOCUMENT_AI_MAX_RECEIVE_BYTES,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
}
