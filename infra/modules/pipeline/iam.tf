# Identities and grants. Rules: one runtime service account per function; every grant is additive
# (*_iam_member, never an authoritative binding or policy that would erase grants made elsewhere); every grant
# is on the narrowest resource that supports IAM (bucket, topic, subscription, secret, service account, Cloud
# Run service) and only on the project when the service has no finer resource; every grant says why.
#
# The grants are data: one table per kind of resource below, one line per grant (member, resource, role,
# reason), and one for_each resource per table at the end of the file. Members and resources are short names
# (local.principals, local.iam_*); a typo in one fails the plan ("Invalid index").

resource "google_service_account" "function" {
  for_each = local.function_names

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "LedgerX ${each.key} function (${var.environment})"
  description  = "Runtime identity of the ${each.key} function only."
}

# Push identities, one per event function: the OIDC identity of the push subscription that delivers its events
# (pubsub.tf). They may only invoke their own function and hold no data access, so a subscription cannot be
# used to reach data. (Resource name and account id kept from when Eventarc triggers delivered the events.)
resource "google_service_account" "trigger" {
  for_each = local.event_functions

  project      = var.project_id
  account_id   = "${var.name_prefix}-trg-${each.key}"
  display_name = "LedgerX ${each.key} push (${var.environment})"
  description  = "OIDC identity of the push subscription that delivers events to the ${each.key} function."
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
  # Google-managed service agents that act for the pipeline.
  service_agents = {
    pubsub-agent     = "serviceAccount:${google_project_service_identity.pubsub.email}"
    gcs-agent        = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
    documentai-agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-prod-dai-core.iam.gserviceaccount.com"
  }

  # Who: a function's key is its runtime service account; trigger-<function> its push identity.
  principals = merge(
    { for k, sa in google_service_account.function : k => "serviceAccount:${sa.email}" },
    { for k, sa in google_service_account.trigger : "trigger-${k}" => "serviceAccount:${sa.email}" },
    {
      scheduler    = "serviceAccount:${google_service_account.scheduler.email}"
      push-retrain = "serviceAccount:${google_service_account.push_invoker.email}"
      retrain-job  = "serviceAccount:${google_service_account.retrain_job.email}"
    },
    local.service_agents,
  )

  # On what: the resources the tables name.
  iam_buckets = {
    inbox     = google_storage_bucket.inbox.name
    artifacts = google_storage_bucket.artifacts.name
    models    = google_storage_bucket.models.name
    exports   = google_storage_bucket.exports.name
  }
  iam_topics = merge(
    { for k, t in google_pubsub_topic.topic : k => t.name },
    { dead_letter_parked = google_pubsub_topic.dead_letter_parked.name },
  )
  iam_service_accounts = merge(
    { for k, sa in google_service_account.trigger : "trigger-${k}" => sa.name },
    { for k, sa in google_service_account.function : k => sa.name },
    { push-retrain = google_service_account.push_invoker.name },
  )
  iam_run_services = merge(
    { for k, f in google_cloudfunctions2_function.event : k => f.name },
    { for k, f in google_cloudfunctions2_function.http : k => f.name },
  )
  iam_secrets       = { for k, s in google_secret_manager_secret.secret : k => s.secret_id }
  iam_run_jobs      = { retrain = google_cloud_run_v2_job.retrain.name }
  firestore_db_name = "projects/${var.project_id}/databases/${google_firestore_database.main.name}"

  # --------------------------------------------------------------------------------------------------------
  # Project: only where the service has no finer IAM resource (Document AI processors in Terraform).
  project_grants = {
    ocr_documentai_user   = { member = "ocr", role = "roles/documentai.apiUser", reason = "Calls the Invoice Parser; Document AI has no processor-level IAM in Terraform, and the role only uses processors, never manages them." }
    batch_documentai_user = { member = "batch", role = "roles/documentai.apiUser", reason = "The docai-backlog job submits Invoice Parser batch requests and polls their operations; same role as ocr (no processor-level IAM in Terraform)." }
  }

  # Firestore: roles/datastore.user on the project, conditioned on this pipeline's database only.
  firestore_grants = {
    ocr_firestore_user         = { member = "ocr", role = "roles/datastore.user", reason = "Creates the invoice record, moves it to OCR_DONE and claims idempotency keys." }
    features_firestore_user    = { member = "features", role = "roles/datastore.user", reason = "Reads supplier history and the duplicate index, writes FEATURES_DONE." }
    inference_firestore_user   = { member = "inference", role = "roles/datastore.user", reason = "Reads the registry pointer, writes SCORED with the decision and the prediction log." }
    upload_url_firestore_user  = { member = "upload-url", role = "roles/datastore.user", reason = "Records each issued URL (request id, object name, expiry) for the audit trail." }
    api_firestore_user         = { member = "api", role = "roles/datastore.user", reason = "Lists and reads invoices; stores API keys (hashed), webhook subscriptions and their delivery log, and the shared rate-limit counters; later reviews and the registry pointer." }
    webhooks_firestore_user    = { member = "webhooks", role = "roles/datastore.user", reason = "Reads webhook subscriptions and writes their delivery log (one document per delivery, leased per attempt)." }
    drift_check_firestore_user = { member = "drift-check", role = "roles/datastore.user", reason = "Reads the recent feature and prediction logs and stores the drift report record." }
    retrain_firestore_user     = { member = "retrain", role = "roles/datastore.user", reason = "Creates the retraining job record (one per request, conditional create on its key) before starting the job." }
    retrain_job_firestore_user = { member = "retrain-job", role = "roles/datastore.user", reason = "Reads the prediction log and review labels, claims and checkpoints its job record, registers versions, records the run and the audit trail." }
    batch_firestore_user       = { member = "batch", role = "roles/datastore.user", reason = "Reads job records and invoices, and writes job progress." }
  }

  # Buckets. objectCreator is create-only (no overwrite, no read); objectUser reads and writes objects, no IAM or
  # bucket admin. The Document AI agent's grants exist only with var.documentai_batch_enabled.
  bucket_grants = {
    documentai_agent_inbox_viewer      = { member = "documentai-agent", bucket = "inbox", role = "roles/storage.objectViewer", reason = "Document AI batch processing reads long inputs from the inbox as its own service agent." }
    documentai_agent_artifacts_creator = { member = "documentai-agent", bucket = "artifacts", role = "roles/storage.objectCreator", reason = "Document AI batch processing writes its JSON output shards to the artifacts bucket." }
    ocr_inbox_viewer                   = { member = "ocr", bucket = "inbox", role = "roles/storage.objectViewer", reason = "Reads the uploaded object it was triggered for." }
    ocr_artifacts_creator              = { member = "ocr", bucket = "artifacts", role = "roles/storage.objectCreator", reason = "Writes the normalized OCR JSON and the OCR cache entry (by content hash), once under a new name, never overwritten." }
    ocr_artifacts_viewer               = { member = "ocr", bucket = "artifacts", role = "roles/storage.objectViewer", reason = "Reads the OCR cache: a byte-identical file seen before skips the Document AI call." }
    features_artifacts_viewer          = { member = "features", bucket = "artifacts", role = "roles/storage.objectViewer", reason = "Reads the OCR JSON written by ocr." }
    inference_models_viewer            = { member = "inference", bucket = "models", role = "roles/storage.objectViewer", reason = "Loads the production models (ONNX files and metadata), read-only, again when the registry pointer changes." }
    upload_url_inbox_creator           = { member = "upload-url", bucket = "inbox", role = "roles/storage.objectCreator", reason = "A V4 signed URL carries the signer's permissions: the browser's PUT creates the object as upload-url; create-only, so a URL can never overwrite or read an invoice." }
    api_inbox_viewer                   = { member = "api", bucket = "inbox", role = "roles/storage.objectViewer", reason = "Renders page images from the original document, and finds the earlier upload of a repeated Idempotency-Key." }
    api_inbox_creator                  = { member = "api", bucket = "inbox", role = "roles/storage.objectCreator", reason = "Direct uploads write the file into the inbox, and the V4 URLs it signs carry its permissions; create-only, never an overwrite." }
    api_artifacts_creator              = { member = "api", bucket = "artifacts", role = "roles/storage.objectCreator", reason = "Caches rendered page images (page-images/<invoice>/<page>.png), each written once." }
    api_artifacts_viewer               = { member = "api", bucket = "artifacts", role = "roles/storage.objectViewer", reason = "Serves OCR results and drift report HTML to reviewers." }
    api_models_viewer                  = { member = "api", bucket = "models", role = "roles/storage.objectViewer", reason = "Shows model cards and training reports; promote / rollback / approve flip the Firestore registry pointer and never write files." }
    api_exports_viewer                 = { member = "api", bucket = "exports", role = "roles/storage.objectViewer", reason = "Lets reviewers download the nightly exports." }
    drift_check_models_viewer          = { member = "drift-check", bucket = "models", role = "roles/storage.objectViewer", reason = "Reads the production model's training baseline from its metadata." }
    drift_check_artifacts_creator      = { member = "drift-check", bucket = "artifacts", role = "roles/storage.objectCreator", reason = "Writes the HTML drift report, one new object per window." }
    retrain_job_models_user            = { member = "retrain-job", bucket = "models", role = "roles/storage.objectUser", reason = "Reads the base corpus and the champion's files; writes new model versions (create-only model.onnx), training snapshots and reports. Promotion is a Firestore pointer, never a file rewrite." }
    batch_inbox_viewer                 = { member = "batch", bucket = "inbox", role = "roles/storage.objectViewer", reason = "Lists a prefix or date range of uploads to reprocess." }
    batch_artifacts_viewer             = { member = "batch", bucket = "artifacts", role = "roles/storage.objectViewer", reason = "Reuses stored OCR results when it replays an invoice from the features stage." }
    batch_exports_creator              = { member = "batch", bucket = "exports", role = "roles/storage.objectUser", reason = "Writes the nightly CSV/JSONL exports and daily summaries under dated names; a rerun of a day replaces its files (overwrite needs delete, which objectCreator lacks); no IAM or bucket admin." }
    batch_models_viewer                = { member = "batch", bucket = "models", role = "roles/storage.objectViewer", reason = "Backfills load the production models' versions (registry pointer in Firestore, files here) to find invoices scored by older ones." }
  }

  # Buckets, under one prefix only (google_storage_bucket_iam_member.prefix): the docai-backlog job's working
  # prefix of the artifacts bucket (batch input files, manifests, output shards).
  prefix_grants = {
    batch_backlog_work_user           = { member = "batch", bucket = "artifacts", prefix = local.docai_backlog_work_prefix, role = "roles/storage.objectUser", reason = "The docai-backlog job writes its batch input files and manifests there, reads the output shards and deletes everything once collected; nothing else in the bucket." }
    documentai_agent_ocr_batch_reader = { member = "documentai-agent", bucket = "artifacts", prefix = "docai-batch/", role = "roles/storage.objectViewer", reason = "A file over the online limits is staged by ocr under docai-batch/ and read there by Document AI batch processing as its own service agent (objectCreator alone cannot read it)." }
    ocr_batch_work_user               = { member = "ocr", bucket = "artifacts", prefix = "docai-batch/", role = "roles/storage.objectUser", reason = "ocr deletes a batch run's staged input and output shards once merged; nothing else in the bucket." }
    documentai_agent_backlog_reader   = { member = "documentai-agent", bucket = "artifacts", prefix = local.docai_backlog_work_prefix, role = "roles/storage.objectViewer", reason = "Document AI batch processing reads the backlog's staged input files as its own service agent (its output goes through documentai_agent_artifacts_creator)." }
  }

  # Pub/Sub topics (keys of local.topic_names, plus the parked dead letters).
  topic_grants = {
    gcs_agent_object_finalized_publisher  = { member = "gcs-agent", topic = "object_finalized", role = "roles/pubsub.publisher", reason = "Cloud Storage publishes the inbox's object notifications (new uploads, for ocr) as its service agent; on that one topic." }
    pubsub_agent_dead_letter_publisher    = { member = "pubsub-agent", topic = "dead_letter", role = "roles/pubsub.publisher", reason = "Dead-letter policies: Pub/Sub forwards undeliverable messages by publishing them as its service agent." }
    pubsub_agent_parked_publisher         = { member = "pubsub-agent", topic = "dead_letter_parked", role = "roles/pubsub.publisher", reason = "Same for the hold subscription's own dead-letter topic (entries the replay tool could not handle)." }
    ocr_publish_ocr_completed             = { member = "ocr", topic = "ocr_completed", role = "roles/pubsub.publisher", reason = "Hands the invoice to the next stage." }
    ocr_publish_dead_letter               = { member = "ocr", topic = "dead_letter", role = "roles/pubsub.publisher", reason = "Dead-letters permanent failures (unsupported, encrypted, too large...) after recording REJECTED." }
    features_publish_features_computed    = { member = "features", topic = "features_computed", role = "roles/pubsub.publisher", reason = "Hands the feature vector to inference." }
    features_publish_dead_letter          = { member = "features", topic = "dead_letter", role = "roles/pubsub.publisher", reason = "Dead-letters messages that do not parse or invoices that cannot be extracted." }
    inference_publish_invoice_scored      = { member = "inference", topic = "invoice_scored", role = "roles/pubsub.publisher", reason = "Announces scored invoices to downstream consumers." }
    inference_publish_dead_letter         = { member = "inference", topic = "dead_letter", role = "roles/pubsub.publisher", reason = "Dead-letters messages that do not parse or features that no model accepts." }
    webhooks_publish_dead_letter          = { member = "webhooks", topic = "dead_letter", role = "roles/pubsub.publisher", reason = "Dead-letters events that do not parse or are older than the maximum event age." }
    drift_check_publish_retrain_requested = { member = "drift-check", topic = "retrain_requested", role = "roles/pubsub.publisher", reason = "Asks for retraining when the dataset has drifted." }
    batch_publish_ocr_completed           = { member = "batch", topic = "ocr_completed", role = "roles/pubsub.publisher", reason = "Re-enters the pipeline at the features stage (reprocessing after an extraction change)." }
    batch_publish_features_computed       = { member = "batch", topic = "features_computed", role = "roles/pubsub.publisher", reason = "Re-enters the pipeline at the inference stage (backfill after a model change)." }
    batch_publish_object_finalized        = { member = "batch", topic = "object_finalized", role = "roles/pubsub.publisher", reason = "The sweep re-sends the upload event of an inbox object that has no invoice record (its notification was lost), and of a record stuck in RECEIVED." }
  }

  # Pub/Sub subscriptions (keys of local.dead_letter_sources: the subscriptions with a dead-letter policy).
  subscription_grants = {
    pubsub_agent_ocr_push_subscriber          = { member = "pubsub-agent", subscription = "ocr_push", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_features_push_subscriber     = { member = "pubsub-agent", subscription = "features_push", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_webhooks_push_subscriber     = { member = "pubsub-agent", subscription = "webhooks_push", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_inference_push_subscriber    = { member = "pubsub-agent", subscription = "inference_push", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_retrain_requested_subscriber = { member = "pubsub-agent", subscription = "retrain_requested", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_invoice_scored_subscriber    = { member = "pubsub-agent", subscription = "invoice_scored", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
    pubsub_agent_dead_letter_hold_subscriber  = { member = "pubsub-agent", subscription = "dead_letter_hold", role = "roles/pubsub.subscriber", reason = "Dead-letter policies: the service agent acknowledges the forwarded message on its source subscription." }
  }

  # Service accounts (as resources): who may mint tokens or sign as them.
  service_account_grants = {
    pubsub_agent_trigger_ocr_token       = { member = "pubsub-agent", service_account = "trigger-ocr", role = "roles/iam.serviceAccountTokenCreator", reason = "Pub/Sub mints the OIDC token of the function's push subscription as its push identity." }
    pubsub_agent_trigger_features_token  = { member = "pubsub-agent", service_account = "trigger-features", role = "roles/iam.serviceAccountTokenCreator", reason = "Pub/Sub mints the OIDC token of the function's push subscription as its push identity." }
    pubsub_agent_trigger_inference_token = { member = "pubsub-agent", service_account = "trigger-inference", role = "roles/iam.serviceAccountTokenCreator", reason = "Pub/Sub mints the OIDC token of the function's push subscription as its push identity." }
    pubsub_agent_trigger_webhooks_token  = { member = "pubsub-agent", service_account = "trigger-webhooks", role = "roles/iam.serviceAccountTokenCreator", reason = "Pub/Sub mints the OIDC token of the function's push subscription as its push identity." }
    pubsub_agent_push_token              = { member = "pubsub-agent", service_account = "push-retrain", role = "roles/iam.serviceAccountTokenCreator", reason = "Pub/Sub mints the OIDC token of the retrain-requested push subscription as this identity." }
    upload_url_self_token_creator        = { member = "upload-url", service_account = "upload-url", role = "roles/iam.serviceAccountTokenCreator", reason = "V4 URL signing without a key file calls IAM signBlob as the function's own identity; on that one account, so it cannot sign as anyone else." }
    api_self_token_creator               = { member = "api", service_account = "api", role = "roles/iam.serviceAccountTokenCreator", reason = "The api signs browser upload URLs (V4, through IAM signBlob) as its own identity, and only as itself." }
  }

  # Cloud Run services behind the functions: who may call which function (named principals: see below).
  run_service_grants = {
    trigger_ocr_invoker           = { member = "trigger-ocr", service = "ocr", role = "roles/run.invoker", reason = "The push identity invokes its own function's service and nothing else." }
    trigger_features_invoker      = { member = "trigger-features", service = "features", role = "roles/run.invoker", reason = "The push identity invokes its own function's service and nothing else." }
    trigger_inference_invoker     = { member = "trigger-inference", service = "inference", role = "roles/run.invoker", reason = "The push identity invokes its own function's service and nothing else." }
    trigger_webhooks_invoker      = { member = "trigger-webhooks", service = "webhooks", role = "roles/run.invoker", reason = "The push identity invokes its own function's service and nothing else." }
    scheduler_invokes_drift_check = { member = "scheduler", service = "drift-check", role = "roles/run.invoker", reason = "Cloud Scheduler calls drift-check every few hours with an OIDC token of its own identity." }
    scheduler_invokes_retrain     = { member = "scheduler", service = "retrain", role = "roles/run.invoker", reason = "Cloud Scheduler calls retrain weekly." }
    scheduler_invokes_batch       = { member = "scheduler", service = "batch", role = "roles/run.invoker", reason = "Cloud Scheduler calls batch for the hourly sweep, the nightly export and the daily summary." }
    push_invokes_retrain          = { member = "push-retrain", service = "retrain", role = "roles/run.invoker", reason = "The retrain-requested push subscription delivers to retrain with an OIDC token of this identity." }
  }

  # Cloud Run jobs: who may start which job.
  run_job_grants = {
    retrain_runs_retrain_job = { member = "retrain", job = "retrain", role = "roles/run.jobsExecutorWithOverrides", reason = "The trigger starts executions of the retraining job with the job record's id as an environment override, and nothing else (no deploy, no other job)." }
  }

  # Secret Manager secrets (keys of local.secrets): each read by the one function that mounts it.
  secret_grants = {
    api_api_tokens = { member = "api", secret = "api-tokens", role = "roles/secretmanager.secretAccessor", reason = "Mounted as LEDGERX_API_TOKENS: bootstrap API keys (names, roles and hashes only)." }
  }
}

# ---------------------------------------------------------------------------------------- one resource per table

resource "google_project_iam_member" "grant" {
  for_each = local.project_grants

  project = var.project_id
  role    = each.value.role
  member  = local.principals[each.value.member]
}

resource "google_project_iam_member" "firestore" {
  for_each = local.firestore_grants

  project = var.project_id
  role    = each.value.role
  member  = local.principals[each.value.member]

  condition {
    title       = "ledgerx-database-only"
    description = "Only the LedgerX Firestore database."
    expression  = "resource.name == \"${local.firestore_db_name}\""
  }
}

resource "google_storage_bucket_iam_member" "grant" {
  for_each = { for k, g in local.bucket_grants : k => g if g.member != "documentai-agent" || var.documentai_batch_enabled }

  bucket = local.iam_buckets[each.value.bucket]
  role   = each.value.role
  member = local.principals[each.value.member]
}

# Objects under one prefix of a bucket: the role limited by an IAM condition on the object name (the buckets have
# uniform bucket-level access, which conditions need). Listing is a bucket-level call the condition does not
# match: who lists the prefix also holds objectViewer on the bucket (bucket_grants).
resource "google_storage_bucket_iam_member" "prefix" {
  for_each = { for k, g in local.prefix_grants : k => g if g.member != "documentai-agent" || var.documentai_batch_enabled }

  bucket = local.iam_buckets[each.value.bucket]
  role   = each.value.role
  member = local.principals[each.value.member]

  condition {
    title       = "ledgerx-prefix-${trimsuffix(each.value.prefix, "/")}"
    description = "Only objects under ${each.value.prefix}."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${local.iam_buckets[each.value.bucket]}/objects/${each.value.prefix}\")"
  }
}

resource "google_pubsub_topic_iam_member" "grant" {
  for_each = local.topic_grants

  project = var.project_id
  topic   = local.iam_topics[each.value.topic]
  role    = each.value.role
  member  = local.principals[each.value.member]
}

resource "google_pubsub_subscription_iam_member" "grant" {
  for_each = local.subscription_grants

  project      = var.project_id
  subscription = local.dead_letter_sources[each.value.subscription]
  role         = each.value.role
  member       = local.principals[each.value.member]
}

resource "google_service_account_iam_member" "grant" {
  for_each = local.service_account_grants

  service_account_id = local.iam_service_accounts[each.value.service_account]
  role               = each.value.role
  member             = local.principals[each.value.member]
}

resource "google_cloud_run_v2_service_iam_member" "grant" {
  for_each = local.run_service_grants

  project  = var.project_id
  location = var.region
  name     = local.iam_run_services[each.value.service]
  role     = each.value.role
  member   = local.principals[each.value.member]
}

resource "google_cloud_run_v2_job_iam_member" "grant" {
  for_each = local.run_job_grants

  project  = var.project_id
  location = var.region
  name     = local.iam_run_jobs[each.value.job]
  role     = each.value.role
  member   = local.principals[each.value.member]
}

resource "google_secret_manager_secret_iam_member" "grant" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = local.iam_secrets[each.value.secret]
  role      = each.value.role
  member    = local.principals[each.value.member]
}

# Named principals (var.api_invoker_members: reviewers, the web front end's identity) are a variable list, not
# rows of the tables: one resource per function they may call, keyed by principal.

# The one public invoker of the module, and the single exception test/infra/terraform-policy.test.ts allows:
# the api is called by browsers (Google ID tokens minted for the web app's OAuth client) and by machines (API
# keys), neither of which can carry an IAM identity that Cloud Run would accept, so the platform lets every call
# through to the function and the application authenticates and authorizes each request itself
# (functions/api/guard.ts: 401 without valid credentials, 403 below the route's role, 429 past the rate limit).
# Ingress stays open because browsers are on the internet. See infra/README.md, "The api function".
resource "google_cloud_run_v2_service_iam_member" "api_public_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["api"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Named principals (people, the web front end) ask for signed upload URLs.
resource "google_cloud_run_v2_service_iam_member" "upload_url_invoker" {
  for_each = toset(var.api_invoker_members)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.http["upload-url"].name
  role     = "roles/run.invoker"
  member   = each.value
}
