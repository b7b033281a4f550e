resource "google_document_ai_processor" "invoice" {
  project      = var.project_id
  location     = var.documentai_location
  display_name = "${var.name_prefix}-invoice-parser-${var.environment}"
  type         = "INVOICE_PROCESSOR"

  depends_on = [google_project_service.api]
}

# The default version only matters for callers that do not name a version; the ocr function always calls the
# pinned version explicitly (LEDGERX_DOCAI_PROCESSOR_VERSION), so a Google-side default change never alters
# extraction silently.
resource "google_document_ai_processor_default_version" "invoice" {
  processor = google_document_ai_processor.invoice.id
  version   = local.docai_processor_version_name
}
