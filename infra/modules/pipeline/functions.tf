# Cloud Functions (gen2), one bundle each. Each map key is the function's entry file functions/<key>.ts (its
# handler, registered under that name by functions/index.ts and by its bundle's entry), its bundle
# dist/functions/<key> and archive <key>.zip, the function's name
# suffix and its service account suffix. An archive holds compiled JavaScript only: the buildpack runs `npm ci`
# for the bundle's few external packages and, for inference, its `gcp-build` script (prunes native binaries of
# other platforms).

locals {
  docai_processor_version_name = "${google_document_ai_processor.invoice.id}/processorVersions/${var.documentai_processor_version}"

  # Configuration every function reads (validated by its zod config in functions/platform): resource names
  # only, never secrets. Topic and bucket names are not sensitive and IAM decides who may use them.
  common_env = {
    LEDGERX_RUNTIME                = "gcp"
    LEDGERX_ENVIRONMENT            = var.environment
    GOOGLE_CLOUD_PROJECT           = var.project_id
    LEDGERX_REGION                 = var.region
    LEDGERX_LOG_LEVEL              = var.log_level
    LEDGERX_INBOX_BUCKET           = google_storage_bucket.inbox.name
    LEDGERX_ARTIFACTS_BUCKET       = google_storage_bucket.artifacts.name
    LEDGERX_MODELS_BUCKET          = google_storage_bucket.models.name
    LEDGERX_EXPORTS_BUCKET         = google_storage_bucket.exports.name
    LEDGERX_FIRESTORE_DATABASE     = google_firestore_database.main.name
    LEDGERX_COLLECTION_INVOICES    = local.firestore_collections.invoices
    LEDGERX_COLLECTION_IDEMPOTENCY = local.firestore_collections.idempotency
    LEDGERX_TOPIC_OBJECT_FINALIZED = google_pubsub_topic.topic["object_finalized"].name
    LEDGERX_TOPIC_OCR_COMPLETED    = google_pubsub_topic.topic["ocr_completed"].name
    LEDGERX_TOPIC_FEATURES         = google_pubsub_topic.topic["features_computed"].name
    LEDGERX_TOPIC_INVOICE_SCORED   = google_pubsub_topic.topic["invoice_scored"].name
    LEDGERX_TOPIC_RETRAIN          = google_pubsub_topic.topic["retrain_requested"].name
    LEDGERX_TOPIC_DEAD_LETTER      = google_pubsub_topic.topic["dead_letter"].name
    LEDGERX_MAX_EVENT_AGE_MS       = tostring(var.max_event_age_seconds * 1000)
    # The push subscriptions' max_delivery_attempts: on that attempt a handler dead-letters a failure with its
    # reason and marks the invoice FAILED instead of answering 500 (pubsub.tf).
    LEDGERX_MAX_DELIVERY_ATTEMPTS = tostring(var.dead_letter_max_delivery_attempts)
  }

  # Event-driven functions, each fed by a Pub/Sub push subscription of its own (pubsub.tf: dead-letter policy,
  # bounded delivery attempts, exponential backoff): ocr by the Cloud Storage notifications of the inbox
  # (topic object_finalized), the others by the previous stage's topic. topic = key of google_pubsub_topic.topic.
  # A push request waits for the function's answer up to the subscription's ack deadline (600 s at most), so
  # timeouts stay below it.
  event_functions = {
    ocr = {
      description   = "Validates an uploaded object, runs Document AI OCR and publishes ocr-completed."
      memory        = "2Gi"
      cpu           = "1"
      timeout       = 540
      max_instances = var.ocr_max_instances
      # One request at a time per instance, so that the Document AI rate below is per request in flight too.
      concurrency = 1
      topic       = "object_finalized"
      env = {
        LEDGERX_DOCAI_LOCATION          = var.documentai_location
        LEDGERX_DOCAI_PROCESSOR_VERSION = local.docai_processor_version_name
        # Each instance paces its calls at its share of the project quota: with at most ocr_max_instances
        # instances, all of them together stay under documentai_requests_per_minute in every minute.
        LEDGERX_DOCAI_REQUESTS_PER_MINUTE = tostring(floor(var.documentai_requests_per_minute / var.ocr_max_instances))
        LEDGERX_DOCAI_BATCH_ENABLED       = tostring(var.documentai_batch_enabled)
        LEDGERX_UPLOAD_MAX_BYTES          = tostring(var.upload_max_bytes)
        # New objects under it are left to the docai-backlog job (functions/ocr.ts).
        LEDGERX_BACKLOG_PREFIX = var.documentai_backlog_prefix
      }
    }
    features = {
      description   = "Extracts fields, validates them and computes the feature vector; publishes features-computed."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 120
      max_instances = 20
      concurrency   = 1
      topic         = "ocr_completed"
      env           = {}
    }
    inference = {
      description   = "Scores an invoice with the production models and records the decision; publishes invoice-scored."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 60
      max_instances = 20
      concurrency   = 1
      topic         = "features_computed"
      # The audit sample is drawn when an invoice is scored (the api's review queue reads it from an index).
      env = merge(local.learning_env, {
        LEDGERX_AUDIT_SAMPLE_RATE = tostring(var.audit_sample_rate)
      })
    }
    webhooks = {
      description   = "Posts each decision (invoice-scored) to the subscribed webhooks, signed, logged and retried."
      memory        = "512Mi"
      cpu           = "1"
      timeout       = 60
      max_instances = 10
      concurrency   = 1
      topic         = "invoice_scored"
      env = {
        LEDGERX_WEBHOOK_MAX_ATTEMPTS = tostring(var.webhook_max_attempts)
        LEDGERX_WEBHOOK_TIMEOUT_MS   = "10000"
      }
    }
  }

  # HTTP functions. Concurrency above 1 needs at least one vCPU. Scheduled ones stop at 30 minutes, the
  # longest attempt deadline Cloud Scheduler allows, so a run never outlives the job that waits for it.
  http_functions = {
    upload-url = {
      description   = "Issues V4 signed PUT URLs into the inbox bucket (content type, size range, server-chosen name)."
      memory        = "512Mi"
      cpu           = "1"
      timeout       = 30
      max_instances = 10
      concurrency   = 20
      secrets       = {}
      env = {
        LEDGERX_UPLOAD_MAX_BYTES       = tostring(var.upload_max_bytes)
        LEDGERX_UPLOAD_URL_TTL_SECONDS = "900"
      }
    }
    api = {
      description   = "The LedgerX API: invoices, review queue, uploads, exports, API keys and webhooks, with roles and rate limits."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 60
      max_instances = var.api_max_instances
      concurrency   = 20
      secrets       = { LEDGERX_API_TOKENS = "api-tokens" }
      env = {
        LEDGERX_OAUTH_CLIENT_ID                = var.api_oauth_client_id
        LEDGERX_API_USERS                      = jsonencode(var.api_users)
        LEDGERX_API_CORS_ORIGINS               = join(",", var.upload_cors_origins)
        LEDGERX_API_RATE_LIMIT_PER_MINUTE      = tostring(var.api_rate_limit_per_minute)
        LEDGERX_API_USER_RATE_LIMIT_PER_MINUTE = tostring(var.api_user_rate_limit_per_minute)
        LEDGERX_UPLOAD_MAX_BYTES               = tostring(var.upload_max_bytes)
        LEDGERX_API_DIRECT_UPLOAD_MAX_BYTES    = tostring(var.api_direct_upload_max_bytes)
        LEDGERX_UPLOAD_URL_TTL_SECONDS         = "900"
        LEDGERX_AUDIT_SAMPLE_RATE              = tostring(var.audit_sample_rate)
        LEDGERX_API_MAX_WAIT_SECONDS           = "45"
        # Model promotions through the API follow the same policy as the retraining job's.
        LEDGERX_PROMOTION_MODE = var.promotion_mode
        LEDGERX_MODEL_ADMINS   = join(",", var.model_admins)
      }
    }
    drift-check = {
      description   = "Compares recent feature and prediction windows with the training baseline; may request retraining."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 1800
      max_instances = 1
      concurrency   = 1
      secrets       = {}
      env = merge(local.learning_env, {
        LEDGERX_MONITORING = var.monitoring_config
      })
    }
    # The thin trigger: records a retraining job and starts the Cloud Run job that trains (jobs.tf).
    retrain = {
      description   = "Records a retraining request as a job and starts the retraining Cloud Run job."
      memory        = "256Mi"
      cpu           = "1"
      timeout       = 60
      max_instances = 2
      concurrency   = 1
      secrets       = {}
      env = merge(local.learning_env, {
        LEDGERX_RETRAIN_JOB = local.retrain_job_name
      })
    }
    batch = {
      description   = "Batch jobs: sweep, reprocessing, backfills, nightly export, daily summary, Document AI backlogs."
      memory        = "2Gi"
      cpu           = "1"
      timeout       = 1800
      max_instances = 2
      concurrency   = 1
      secrets       = {}
      env = merge(local.learning_env, {
        LEDGERX_DOCAI_MONTHLY_PAGE_BUDGET = tostring(var.documentai_monthly_page_budget)
        # The review-queue job draws the audit sample of records scored before the draw existed.
        LEDGERX_AUDIT_SAMPLE_RATE = tostring(var.audit_sample_rate)
        # The docai-backlog job: Invoice Parser batch requests through the artifacts bucket's working prefix.
        LEDGERX_DOCAI_LOCATION            = var.documentai_location
        LEDGERX_DOCAI_PROCESSOR_VERSION   = local.docai_processor_version_name
        LEDGERX_BACKLOG_PREFIX            = var.documentai_backlog_prefix
        LEDGERX_DOCAI_BACKLOG_WORK_PREFIX = local.docai_backlog_work_prefix
        # The drift-check function is part of this module: the daily summary reads its reports and the ops log.
        LEDGERX_MONITORING_ENABLED = "true"
      })
    }
  }

  function_names = toset(concat(keys(local.event_functions), keys(local.http_functions)))

  # How long a push waits for the function's answer before Pub/Sub counts the attempt as failed and retries:
  # longer than the function may run, or a slow success would be delivered again while it still runs.
  push_ack_deadline_seconds = { for k, f in local.event_functions : k => f.timeout + 30 }

  build_env = {
    # onnxruntime-node's install script downloads CUDA binaries unless told not to (the CPU binaries ship in
    # the package); the .npmrc in the archive says the same, this covers buildpacks that ignore it.
    ONNXRUNTIME_NODE_INSTALL = "skip"
    # Dev tools (eslint, typescript, playwright-core) have no place in the function image.
    NPM_CONFIG_OMIT = "dev"
  }
}

resource "google_cloudfunctions2_function" "event" {
  for_each = local.event_functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  labels      = merge(local.labels, { function = each.key })

  build_config {
    runtime               = var.node_runtime
    entry_point           = each.key
    environment_variables = local.build_env

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    # Only their push subscriptions deliver to these functions (Pub/Sub push is internal traffic of the
    # project), with an OIDC token of the function's push identity (iam.tf).
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.function[each.key].email
    # LEDGERX_SERVICE_ACCOUNT: V4 URL signing without a key file goes through IAM signBlob as this identity.
    environment_variables = merge(local.common_env, each.value.env, {
      LEDGERX_FUNCTION        = each.key
      LEDGERX_SERVICE_ACCOUNT = google_service_account.function[each.key].email
    })
  }

  # No event_trigger: Eventarc's subscriptions take no dead-letter policy and retry for a day. The push
  # subscriptions in pubsub.tf deliver instead.

  lifecycle {
    precondition {
      condition     = local.push_ack_deadline_seconds[each.key] <= 600
      error_message = "An event function must answer within its push subscription's ack deadline (timeout + 30 s, 600 s at most)."
    }
    precondition {
      condition     = var.documentai_requests_per_minute >= var.ocr_max_instances
      error_message = "documentai_requests_per_minute must allow at least one request per minute to each of ocr_max_instances instances."
    }
  }
}

resource "google_cloudfunctions2_function" "http" {
  for_each = local.http_functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  labels      = merge(local.labels, { function = each.key })

  build_config {
    runtime               = var.node_runtime
    entry_point           = each.key
    environment_variables = local.build_env

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    # Reachable from browsers and Cloud Scheduler. Every call needs an identity with run.invoker (iam.tf), except
    # on api, whose one public invoker is the policy's single exception: it authenticates every request itself.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.function[each.key].email
    # LEDGERX_SERVICE_ACCOUNT: V4 URL signing without a key file goes through IAM signBlob as this identity.
    environment_variables = merge(local.common_env, each.value.env, {
      LEDGERX_FUNCTION        = each.key
      LEDGERX_SERVICE_ACCOUNT = google_service_account.function[each.key].email
    })

    # Secrets arrive as environment variables resolved at instance start; "latest" lets a rotation take
    # effect on the next cold start without a deployment.
    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  # A function that mounts a secret fails to deploy until its runtime account may read it (iam.tf, secret_grants).
  depends_on = [google_secret_manager_secret_iam_member.grant]
}
