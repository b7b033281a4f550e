resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = var.firestore_database
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"
  # Pessimistic concurrency: transactions lock the documents they read, so the status machine's
  # read-then-forward-write never loses to a concurrent duplicate.
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = var.firestore_point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # ABANDON keeps the data when the resource leaves the state; DELETE only where protection is off (dev).
  deletion_policy = var.deletion_protection ? "ABANDON" : "DELETE"

  depends_on = [google_project_service.api]
}

# Composite indexes behind the InvoiceStore queries (functions/core/ports.ts). Field names are the stored
# record's (InvoiceRecordSchema); totalAmount is the invoice total denormalized to the top level by the
# Firestore adapter so that it can be range-filtered. Every lookup orders by createdAt (the "before this
# invoice" bound), which is what makes each of them composite.
locals {
  invoice_indexes = {
    # findByContentHash: byte-identical re-uploads.
    content_hash = [["contentSha256", "ASCENDING"], ["createdAt", "DESCENDING"]]
    # findByBusinessKey: same supplier + invoice number (+ date) under another file.
    business_key = [["businessKey", "ASCENDING"], ["createdAt", "DESCENDING"]]
    # findNearDuplicates: same supplier, amount within a band.
    supplier_amount = [["supplierKey", "ASCENDING"], ["totalAmount", "ASCENDING"], ["createdAt", "DESCENDING"]]
    # supplierHistory: the supplier's earlier invoices.
    supplier_history = [["supplierKey", "ASCENDING"], ["createdAt", "DESCENDING"]]
    # list(status): invoices by status, newest first (and oldest first).
    status_created     = [["status", "ASCENDING"], ["createdAt", "DESCENDING"]]
    status_created_asc = [["status", "ASCENDING"], ["createdAt", "ASCENDING"]]
    # list(decision): invoices by decision, newest first; the review queue (REVIEW) oldest first.
    decision_created     = [["decision.decision", "ASCENDING"], ["createdAt", "DESCENDING"]]
    decision_created_asc = [["decision.decision", "ASCENDING"], ["createdAt", "ASCENDING"]]
    # list(supplier), oldest first (newest first is supplier_history).
    supplier_created_asc = [["supplierKey", "ASCENDING"], ["createdAt", "ASCENDING"]]
    # list(reason) and list(model version): array-contains on the denormalized reasonCodes / modelVersionTags.
    reason_created     = [["reasonCodes", "CONTAINS"], ["createdAt", "DESCENDING"]]
    reason_created_asc = [["reasonCodes", "CONTAINS"], ["createdAt", "ASCENDING"]]
    model_created      = [["modelVersionTags", "CONTAINS"], ["createdAt", "DESCENDING"]]
    model_created_asc  = [["modelVersionTags", "CONTAINS"], ["createdAt", "ASCENDING"]]
    # The review queue, oldest first: inReviewQueue is the adapter's denormalized reviewQueueOf(record) (REVIEW
    # decisions and the audit sample drawn at scoring, not yet reviewed), so a queue page is one index range.
    review_queue_asc = [["inReviewQueue", "ASCENDING"], ["createdAt", "ASCENDING"]]
    # listUpdated / countByStatus with a range: the sweep's FAILED invoices of its window and records stuck
    # since before a deadline (updatedAt, oldest change first), and the count of a window.
    status_updated_asc = [["status", "ASCENDING"], ["updatedAt", "ASCENDING"]]
    # A listing with several equality / array-contains filters is served by merging the indexes above (each ends
    # in createdAt in the listing's direction); the received-date range is on createdAt itself.
  }
}

resource "google_firestore_index" "invoices" {
  for_each = local.invoice_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = local.firestore_collections.invoices
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value
    content {
      field_path   = fields.value[0]
      order        = fields.value[1] == "CONTAINS" ? null : fields.value[1]
      array_config = fields.value[1] == "CONTAINS" ? "CONTAINS" : null
    }
  }
}

# Idempotency claims expire (expiresAt); the TTL policy deletes them some time after expiry (typically
# within a day), so that the collection does not grow forever. TTL only acts on Timestamp values: the adapter
# must store expiresAt as a Firestore Timestamp, not as an ISO string. The single-field index is disabled
# because a monotonically increasing timestamp index hotspots writes and nothing queries by it.
resource "google_firestore_field" "idempotency_expires_at" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = local.firestore_collections.idempotency
  field      = "expiresAt"

  ttl_config {}

  index_config {}
}

# Learning loop (functions/adapters/gcp/firestore-*.ts). Prediction-log entries expire like idempotency claims:
# the adapter stores expiresAt (scoredAt + var.prediction_retention_days) as a Timestamp for the TTL policy.
resource "google_firestore_field" "predictions_expires_at" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "predictions"
  field      = "expiresAt"

  ttl_config {}

  index_config {}
}

# The API's collections: the webhook delivery log is listed per webhook (and by status or invoice), newest first;
# API keys and webhooks are listed by createdAt alone (automatic single-field indexes).
locals {
  delivery_indexes = {
    by_webhook = [["webhookId", "ASCENDING"], ["createdAt", "DESCENDING"]]
    by_invoice = [["invoiceId", "ASCENDING"], ["createdAt", "DESCENDING"]]
    by_status  = [["status", "ASCENDING"], ["createdAt", "DESCENDING"]]
  }
}

resource "google_firestore_index" "webhook_deliveries" {
  for_each = local.delivery_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = "webhookDeliveries"
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

# Rate-limit counters (one document per identity, minute and shard; functions/adapters/gcp/firestore-rate-limiter.ts)
# expire a minute after their window: TTL deletes them. Nothing queries them, so no single-field index either
# (a monotonically increasing timestamp index would hotspot writes).
resource "google_firestore_field" "rate_limits_expires_at" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "rateLimits"
  field      = "expiresAt"

  ttl_config {}

  index_config {}
}

locals {
  # Composite indexes of the learning stores' queries (collection -> fields in order).
  learning_indexes = {
    # PredictionLog.query by model version and time window (drift, performance, retraining read it).
    predictions_model_time = { collection = "predictions", fields = [["modelTags", "CONTAINS"], ["scoredAt", "ASCENDING"]] }
    # PredictionLog.query by invoice.
    predictions_invoice_time = { collection = "predictions", fields = [["invoiceId", "ASCENDING"], ["scoredAt", "ASCENDING"]] }
    # JobStore.list by kind and/or status, newest first (the scheduler's and the operators' views).
    jobs_kind_created        = { collection = "jobs", fields = [["kind", "ASCENDING"], ["createdAt", "DESCENDING"]] }
    jobs_status_created      = { collection = "jobs", fields = [["status", "ASCENDING"], ["createdAt", "DESCENDING"]] }
    jobs_kind_status_created = { collection = "jobs", fields = [["kind", "ASCENDING"], ["status", "ASCENDING"], ["createdAt", "DESCENDING"]] }
  }
}

resource "google_firestore_index" "learning" {
  for_each = local.learning_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value[0]
      order        = fields.value[1] == "CONTAINS" ? null : fields.value[1]
      array_config = fields.value[1] == "CONTAINS" ? "CONTAINS" : null
    }
  }
}
