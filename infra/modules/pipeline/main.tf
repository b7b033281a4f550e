# Shared names and the project identity. Every resource of the module lives in var.project_id.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  labels = merge(var.labels, {
    app         = "ledgerx"
    environment = var.environment
    managed-by  = "terraform"
  })

  # Topic names equal the names in functions/core/messages.ts (Topics): one project per environment, so no
  # environment prefix is needed and the code needs no name mapping.
  topic_names = {
    object_finalized  = "object-finalized"
    ocr_completed     = "ocr-completed"
    features_computed = "features-computed"
    invoice_scored    = "invoice-scored"
    retrain_requested = "retrain-requested"
    dead_letter       = "dead-letter"
  }

  firestore_collections = {
    invoices    = "invoices"
    idempotency = "idempotency"
  }
}
