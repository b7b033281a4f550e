# The retraining Cloud Run job. Training outlasts a function's time limit (9 minutes for events, 60 for HTTP)
# and needs more memory and cores than the pipeline functions, so it runs as a job: the thin `retrain`
# function (functions.tf) records the request as a job record in Firestore and starts an execution of this
# job through the Cloud Run Admin API with LEDGERX_JOB_ID as an override; the job claims that record, trains,
# gates and registers (functions/training/gcp-retrain-job.ts). Its image holds the bundle dist/jobs/retrain
# (scripts/build.mjs) and runs `node index.js`; cloudbuild.yaml builds and pushes it.

resource "google_artifact_registry_repository" "jobs" {
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-jobs"
  format        = "DOCKER"
  description   = "Images of the LedgerX Cloud Run jobs (retraining)."
  labels        = local.labels

  # Old images are only needed to roll back a job; keep the recent ones.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_service_account" "retrain_job" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-retrain-job"
  display_name = "LedgerX retraining job (${var.environment})"
  description  = "Runtime identity of the retraining Cloud Run job only."
}

locals {
  retrain_job_name = "${var.name_prefix}-retrain-job"

  # Learning-loop settings shared by inference, the retrain trigger and the job (platform/gcp/learning-config.ts).
  learning_env = {
    LEDGERX_PREDICTION_RETENTION_DAYS = tostring(var.prediction_retention_days)
    LEDGERX_REGISTRY_REFRESH_SECONDS  = tostring(var.registry_refresh_seconds)
    LEDGERX_PROMOTION_MODE            = var.promotion_mode
    LEDGERX_MODEL_ADMINS              = join(",", var.model_admins)
    LEDGERX_GATE_MARGIN               = tostring(var.gate_margin)
    LEDGERX_GATE_CALIBRATION_GAIN     = tostring(var.gate_calibration_gain)
  }

  retrain_job_env = merge(local.learning_env, {
    GOOGLE_CLOUD_PROJECT       = var.project_id
    LEDGERX_ENVIRONMENT        = var.environment
    LEDGERX_LOG_LEVEL          = var.log_level
    LEDGERX_FIRESTORE_DATABASE = google_firestore_database.main.name
    LEDGERX_MODELS_BUCKET      = google_storage_bucket.models.name
    LEDGERX_BASE_DATASET       = var.retrain_base_dataset
    LEDGERX_RETRAIN_TRIALS     = tostring(var.retrain_trials)
  })
}

resource "google_cloud_run_v2_job" "retrain" {
  project             = var.project_id
  location            = var.region
  name                = local.retrain_job_name
  labels              = merge(local.labels, { job = "retrain" })
  deletion_protection = var.deletion_protection

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.retrain_job.email
      timeout         = "${var.retrain_job_timeout_seconds}s"
      # A crashed task is retried; the job record's lease and checkpoint make the retry resume, not repeat.
      max_retries = 2

      containers {
        image = var.retrain_job_image

        resources {
          limits = {
            cpu    = "4"
            memory = "8Gi"
          }
        }

        dynamic "env" {
          for_each = local.retrain_job_env
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.api]
}
