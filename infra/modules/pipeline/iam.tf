# Identities and grants. Rules: one runtime service account per function; every grant is additive
# (*_iam_member, never an authoritative binding or policy that would erase grants made elsewhere); every grant
# is on the narrowest resource that supports IAM (bucket, topic, subscription, secret, service) and only on
# the project when the service has no finer resource; a comment above each says why it is needed.

resource "google_service_account" "function" {
  for_each = local.function_names

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "LedgerX ${each.key} function (${var.environment})"
  description  = "Runtime identity of the ${each.key} function only."
}

# Eventarc trigger identities, one per event function: they may only invoke their own function and hold no
# data access, so a trigger cannot be used to reach data.
resource "google_service_account" "trigger" {
  for_each = local.event_functions

  project      = var.project_id
  account_id   = "${var.name_prefix}-trg-${each.key}"
  display_name = "LedgerX ${each.key} trigger (${var.environment})"
  description  = "Eventarc trigger identity that delivers events to the ${each.key} function."
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "LedgerX Cloud Scheduler (${var.environment})"
  description  = "OIDC identity of the Cloud Scheduler jobs; may only invoke the scheduled functions."
}

resource "google_service_account" "push_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push-retrain"
  display_name = "LedgerX retrain-requested push (${var.environment})"
  description  = "OIDC identity of the retrain-requested push subscription; may only invoke retrain."
}

locals {
  fn_member         = { for k in local.function_names : k => "serviceAccount:${google_service_account.function[k].email}" }
  pubsub_agent      = "serviceAccount:${google_project_service_identity.pubsub.email}"
  eventarc_agent    = "serviceAccount:${google_project_service_identity.eventarc.email}"
  gcs_agent         = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
  documentai_agent  = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-prod-dai-core.iam.gserviceaccount.com"
  firestore_db_name = "projects/${var.project_id}/databases/${google_firestore_database.main.name}"
}

# ------------------------------------------------------------------------------------------ platform plumbing

# Cloud Storage publishes object-finalized notifications to the Pub/Sub topic that Eventarc creates for the
# ocr trigger; without this role the trigger cannot be created.
resource "google_project_iam_member" "gcs_agent_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = local.gcs_agent
}

# Eventarc's service agent manages the trigger plumbing (subscriptions, notifications). Google grants it on
# API enablement; granting it here repairs projects where the automatic grant was removed.
resource "google_project_iam_member" "eventarc_agent" {
  project = var.project_id
  role    = "roles/eventarc.serviceAgent"
  member  = local.eventarc_agent
}

# A trigger's identity must be allowed to receive events; Eventarc has no finer resource than the project.
resource "google_project_iam_member" "trigger_event_receiver" {
  for_each = local.event_functions

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# Each trigger identity invokes its own function's Cloud Run service and nothing else.
resource "google_cloud_run_v2_service_iam_member" "trigger_invoker" {
  for_each = local.event_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.event[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# Pub/Sub mints the OIDC token of the push deliveries behind the Pub/Sub triggers as the trigger identity.
resource "google_service_account_iam_member" "pubsub_agent_trigger_token" {
  for_each = local.event_functions

  service_account_id = google_service_account.trigger[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Pub/Sub mints the OIDC token of the retrain-requested push subscription as this identity.
resource "google_service_account_iam_member" "pubsub_agent_push_token" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Dead-letter policies: Pub/Sub forwards undeliverable messages by publishing them as its service agent.
resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["dead_letter"].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

# Same for the hold subscription's own dead-letter topic (entries the replay tool could not handle).
resource "google_pubsub_topic_iam_member" "pubsub_agent_parked_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter_parked.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

# Dead-letter policies: the service agent must also acknowledge the forwarded message on the source
# subscription, which needs subscriber on that subscription.
resource "google_pubsub_subscription_iam_member" "pubsub_agent_dead_letter_subscriber" {
  for_each = local.dead_letter_sources

  project      = var.project_id
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Document AI batch processing reads long inputs from the inbox as its own service agent.
resource "google_storage_bucket_iam_member" "documentai_agent_inbox_viewer" {
  count = var.documentai_batch_enabled ? 1 : 0

  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectViewer"
  member = local.documentai_agent
}

# Document AI batch processing writes its JSON output shards to the artifacts bucket as its service agent.
resource "google_storage_bucket_iam_member" "documentai_agent_artifacts_creator" {
  count = var.documentai_batch_enabled ? 1 : 0

  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = local.documentai_agent
}

# ----------------------------------------------------------------------------------------------------- ocr

# ocr reads the uploaded object it was triggered for.
resource "google_storage_bucket_iam_member" "ocr_inbox_viewer" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["ocr"]
}

# ocr writes the normalized OCR JSON (and the OCR cache entry keyed by content hash); create-only: results
# are written once under a new name and never overwritten.
resource "google_storage_bucket_iam_member" "ocr_artifacts_creator" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = local.fn_member["ocr"]
}

# ocr reads the OCR cache (a byte-identical file seen before skips the Document AI call).
resource "google_storage_bucket_iam_member" "ocr_artifacts_viewer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["ocr"]
}

# ocr calls the Invoice Parser; Document AI has no processor-level IAM in Terraform, so the grant is on the
# project and the role only allows using processors, not managing them.
resource "google_project_iam_member" "ocr_documentai_user" {
  project = var.project_id
  role    = "roles/documentai.apiUser"
  member  = local.fn_member["ocr"]
}

# ocr creates the invoice record, moves it to OCR_DONE and claims idempotency keys; the condition limits the
# grant to this pipeline's database.
resource "google_project_iam_member" "ocr_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["ocr"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# ocr hands the invoice to the next stage.
resource "google_pubsub_topic_iam_member" "ocr_publish_ocr_completed" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["ocr_completed"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["ocr"]
}

# ocr dead-letters permanent failures (unsupported, encrypted, too large...) after recording REJECTED.
resource "google_pubsub_topic_iam_member" "ocr_publish_dead_letter" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["dead_letter"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["ocr"]
}

# ------------------------------------------------------------------------------------------------ features

# features reads the OCR JSON written by ocr.
resource "google_storage_bucket_iam_member" "features_artifacts_viewer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["features"]
}

# features reads vendor history and the duplicate index and writes FEATURES_DONE.
resource "google_project_iam_member" "features_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["features"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# features hands the feature vector to inference.
resource "google_pubsub_topic_iam_member" "features_publish_features_computed" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["features_computed"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["features"]
}

# features dead-letters messages that do not parse or invoices that cannot be extracted.
resource "google_pubsub_topic_iam_member" "features_publish_dead_letter" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["dead_letter"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["features"]
}

# ----------------------------------------------------------------------------------------------- inference

# inference loads the production models (ONNX files and metadata); read-only.
resource "google_storage_bucket_iam_member" "inference_models_viewer" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["inference"]
}

# inference reads the registry pointer, writes SCORED with the decision and the prediction log.
resource "google_project_iam_member" "inference_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["inference"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# inference announces scored invoices to downstream consumers.
resource "google_pubsub_topic_iam_member" "inference_publish_invoice_scored" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["invoice_scored"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["inference"]
}

# inference dead-letters messages that do not parse or features that no model accepts.
resource "google_pubsub_topic_iam_member" "inference_publish_dead_letter" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["dead_letter"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["inference"]
}

# ---------------------------------------------------------------------------------------------- upload-url

# A V4 signed URL carries the signer's permissions: the browser's PUT creates the object as upload-url.
# Create-only, so a signed URL can never overwrite or read an existing invoice.
resource "google_storage_bucket_iam_member" "upload_url_inbox_creator" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectCreator"
  member = local.fn_member["upload-url"]
}

# Signing without a key file calls IAM signBlob as the function's own identity; granted on that one
# service account, not the project, so it cannot sign as anyone else.
resource "google_service_account_iam_member" "upload_url_self_token_creator" {
  service_account_id = google_service_account.function["upload-url"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.fn_member["upload-url"]
}

# upload-url records each issued URL (request id, object name, expiry) for the audit trail.
resource "google_project_iam_member" "upload_url_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["upload-url"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# ----------------------------------------------------------------------------------------------------- api

# api lists invoices, stores reviews (labels) and the audit trail, flips the model registry pointer.
resource "google_project_iam_member" "api_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["api"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# api shows the original document next to the extracted fields in the review page.
resource "google_storage_bucket_iam_member" "api_inbox_viewer" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["api"]
}

# api serves OCR results and drift report HTML to reviewers.
resource "google_storage_bucket_iam_member" "api_artifacts_viewer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["api"]
}

# api lists model versions and rewrites the registry file on promote / rollback (versions themselves are
# never overwritten; the bucket is versioned). objectUser: read and write objects, no IAM or bucket admin.
resource "google_storage_bucket_iam_member" "api_models_user" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectUser"
  member = local.fn_member["api"]
}

# api lets reviewers download the nightly exports.
resource "google_storage_bucket_iam_member" "api_exports_viewer" {
  bucket = google_storage_bucket.exports.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["api"]
}

# ------------------------------------------------------------------------------------------------- drift-check

# drift-check reads the recent feature and prediction logs and stores the drift report record.
resource "google_project_iam_member" "drift_check_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["drift-check"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# drift-check reads the production model's training baseline from its metadata.
resource "google_storage_bucket_iam_member" "drift_check_models_viewer" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["drift-check"]
}

# drift-check writes the HTML drift report (create-only, one object per window).
resource "google_storage_bucket_iam_member" "drift_check_artifacts_creator" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = local.fn_member["drift-check"]
}

# drift-check asks for retraining when the dataset has drifted.
resource "google_pubsub_topic_iam_member" "drift_check_publish_retrain_requested" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["retrain_requested"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["drift-check"]
}

# ------------------------------------------------------------------------------------------------- retrain

# retrain reads reviewed labels and feature rows, and registers new versions.
resource "google_project_iam_member" "retrain_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["retrain"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# retrain writes new model versions (model.onnx, metadata.json, card) and the registry file on promotion.
resource "google_storage_bucket_iam_member" "retrain_models_user" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectUser"
  member = local.fn_member["retrain"]
}

# retrain reads the base training data snapshot kept with the artifacts.
resource "google_storage_bucket_iam_member" "retrain_artifacts_viewer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["retrain"]
}

# --------------------------------------------------------------------------------------------------- batch

# batch reads job records and invoices, and writes job progress.
resource "google_project_iam_member" "batch_firestore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.fn_member["batch"]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

# batch lists a prefix or date range of uploads to reprocess.
resource "google_storage_bucket_iam_member" "batch_inbox_viewer" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["batch"]
}

# batch reuses stored OCR results when it replays an invoice from the features stage.
resource "google_storage_bucket_iam_member" "batch_artifacts_viewer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.fn_member["batch"]
}

# batch writes the nightly CSV/JSONL exports and summaries (create-only, dated names).
resource "google_storage_bucket_iam_member" "batch_exports_creator" {
  bucket = google_storage_bucket.exports.name
  role   = "roles/storage.objectCreator"
  member = local.fn_member["batch"]
}

# batch re-enters the pipeline at the features stage (reprocessing after an extraction change).
resource "google_pubsub_topic_iam_member" "batch_publish_ocr_completed" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["ocr_completed"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["batch"]
}

# batch re-enters the pipeline at the inference stage (backfill after a model change).
resource "google_pubsub_topic_iam_member" "batch_publish_features_computed" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["features_computed"].name
  role    = "roles/pubsub.publisher"
  member  = local.fn_member["batch"]
}

# ------------------------------------------------------------------------------------------------ invokers

# Cloud Scheduler calls drift-check every few hours with an OIDC token of its own identity.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_drift_check" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["drift-check"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# Cloud Scheduler calls retrain weekly.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_retrain" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["retrain"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# Cloud Scheduler calls batch nightly for the export.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_batch" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["batch"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# The retrain-requested push subscription delivers to retrain with an OIDC token of this identity.
resource "google_cloud_run_v2_service_iam_member" "push_invokes_retrain" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["retrain"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push_invoker.email}"
}

# Reviewers (and the web front end's identity) call the review API; named principals only.
resource "google_cloud_run_v2_service_iam_member" "api_invoker" {
  for_each = toset(var.api_invoker_members)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["api"].name
  role     = "roles/run.invoker"
  member   = each.value
}

# The same principals ask for signed upload URLs.
resource "google_cloud_run_v2_service_iam_member" "upload_url_invoker" {
  for_each = toset(var.api_invoker_members)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["upload-url"].name
  role     = "roles/run.invoker"
  member   = each.value
}
