variable "project_id" {
  type        = string
  description = "Google Cloud project that hosts one environment of the pipeline (one project per environment)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project id (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "region" {
  type        = string
  description = "Region of the functions, scheduler jobs and buckets (the inbox bucket next to the functions that read it)."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a single Google Cloud region such as europe-west1 (not a multi-region)."
  }
}

variable "environment" {
  type        = string
  description = "Environment name, used in labels and resource names."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of function, service account and job names. Short, because service account ids are limited to 30 characters."
  default     = "ledgerx"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name_prefix))
    error_message = "name_prefix must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra labels added to every labelled resource (cost attribution)."
  default     = {}
}

variable "function_archives_dir" {
  type        = string
  description = "Folder of the per-function source archives built by CI (scripts/package-functions.mjs): <function>.zip for every deployed function, each holding that function's bundle, package.json, package-lock.json and .npmrc. Each object is uploaded under a name derived from its SHA-256, so only a function whose bundle changed is redeployed."

  validation {
    condition     = length(trimspace(var.function_archives_dir)) > 0
    error_message = "function_archives_dir must name the folder holding <function>.zip archives."
  }
}

variable "node_runtime" {
  type        = string
  description = "Cloud Functions runtime id of the Node.js version the package is built for."
  default     = "nodejs20"

  validation {
    condition     = can(regex("^nodejs[0-9]{2}$", var.node_runtime))
    error_message = "node_runtime must look like nodejs20."
  }
}

variable "upload_cors_origins" {
  type        = list(string)
  description = "The web page's origins: allowed to PUT files into the inbox bucket through signed URLs (bucket CORS) and to call the api (its CORS)."
  default     = []

  validation {
    condition     = alltrue([for o in var.upload_cors_origins : can(regex("^https?://[^/*]+$", o))])
    error_message = "Each CORS origin must be a scheme plus host (and optional port) without a path or a wildcard."
  }
}

variable "upload_max_bytes" {
  type        = number
  description = "Largest file accepted through a signed upload URL (and by ocr); each URL is signed with x-goog-content-length-range fixed to the size the caller declared, which must not exceed this."
  default     = 41943040

  validation {
    condition     = var.upload_max_bytes > 0 && var.upload_max_bytes <= 1073741824
    error_message = "upload_max_bytes must be between 1 byte and 1 GiB (the Document AI batch limit)."
  }
}

variable "artifacts_nearline_after_days" {
  type        = number
  description = "Age in days after which OCR results, drift reports and other artifacts move to Nearline storage."
  default     = 30

  validation {
    condition     = var.artifacts_nearline_after_days >= 1
    error_message = "artifacts_nearline_after_days must be at least 1."
  }
}

variable "inbox_retention_days" {
  type        = number
  description = "Age in days after which uploaded originals are deleted from the inbox bucket (0 keeps them forever)."
  default     = 0

  validation {
    condition     = var.inbox_retention_days >= 0
    error_message = "inbox_retention_days must be 0 (keep) or a positive number of days."
  }
}

variable "exports_retention_days" {
  type        = number
  description = "Age in days after which nightly exports (CSV/JSONL) are deleted."
  default     = 90

  validation {
    condition     = var.exports_retention_days >= 1 && var.exports_retention_days <= 3650
    error_message = "exports_retention_days must be between 1 and 3650."
  }
}

variable "model_noncurrent_versions_kept" {
  type        = number
  description = "Noncurrent object versions kept per model file in the versioned models bucket (rollback safety)."
  default     = 5

  validation {
    condition     = var.model_noncurrent_versions_kept >= 1
    error_message = "model_noncurrent_versions_kept must be at least 1."
  }
}

variable "force_destroy_buckets" {
  type        = bool
  description = "Allow terraform destroy to delete non-empty buckets. Only ever true in throwaway dev projects."
  default     = false
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the Firestore database (and other stateful resources that support it) from deletion."
  default     = true
}

variable "firestore_database" {
  type        = string
  description = "Firestore database id. \"(default)\" or a named database."
  default     = "(default)"

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{3,62}$", var.firestore_database))
    error_message = "firestore_database must be \"(default)\" or 4-63 lowercase letters, digits and hyphens."
  }
}

variable "firestore_location" {
  type        = string
  description = "Firestore location (a region such as europe-west1 or a multi-region such as eur3). Cannot change after creation."
  default     = "eur3"
}

variable "firestore_point_in_time_recovery" {
  type        = bool
  description = "Enable Firestore point-in-time recovery (7 days of versions; costs storage)."
  default     = false
}

variable "documentai_location" {
  type        = string
  description = "Document AI multi-region of the Invoice Parser processor."
  default     = "eu"

  validation {
    condition     = contains(["eu", "us"], var.documentai_location)
    error_message = "documentai_location must be eu or us."
  }
}

variable "documentai_processor_version" {
  type        = string
  description = "Pinned Invoice Parser processor version id. Versions are retired on a schedule: pin one, and move deliberately after an evaluation run."
  default     = "pretrained-invoice-v2.0-2023-12-06"

  validation {
    condition     = can(regex("^pretrained-invoice-v[0-9]+\\.[0-9]+-[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.documentai_processor_version))
    error_message = "documentai_processor_version must be an Invoice Parser version id such as pretrained-invoice-v2.0-2023-12-06."
  }
}

variable "documentai_batch_enabled" {
  type        = bool
  description = "Grant the Document AI service agent access to the inbox and artifacts buckets so that long files can use batch processing. The agent exists only after the Document AI API has been used once in the project."
  default     = false
}

variable "ocr_max_instances" {
  type        = number
  description = "Maximum instances of the ocr function (one request at a time each). Each instance paces its Document AI calls at floor(documentai_requests_per_minute / ocr_max_instances) per minute, so all of them together stay under the project quota."
  default     = 10

  validation {
    condition     = var.ocr_max_instances >= 1 && var.ocr_max_instances <= 100
    error_message = "ocr_max_instances must be between 1 and 100."
  }
}

variable "documentai_requests_per_minute" {
  type        = number
  description = "Document AI online requests per minute the project may send (the processDocument quota: 600 by default; raise it with the quota). Shared out between the ocr instances."
  default     = 600

  validation {
    condition     = var.documentai_requests_per_minute >= 1 && floor(var.documentai_requests_per_minute) == var.documentai_requests_per_minute
    error_message = "documentai_requests_per_minute must be a positive whole number."
  }
}

variable "max_event_age_seconds" {
  type        = number
  description = "Events older than this are dead-lettered (and their invoice marked FAILED) instead of processed. A second bound next to the push subscriptions' delivery attempts; far below the message retention, so that no event expires unrecorded."
  default     = 21600

  validation {
    condition     = var.max_event_age_seconds >= 600 && var.max_event_age_seconds <= 86400
    error_message = "max_event_age_seconds must be between 600 (10 minutes) and 86400 (1 day)."
  }
}

variable "dead_letter_max_delivery_attempts" {
  type        = number
  description = "Delivery attempts of a subscription before its message is dead-lettered: on that attempt the event functions record the failure with its reason (and the invoice FAILED); Pub/Sub forwards a message whose last attempt never answered."
  default     = 10

  validation {
    condition     = var.dead_letter_max_delivery_attempts >= 5 && var.dead_letter_max_delivery_attempts <= 100
    error_message = "dead_letter_max_delivery_attempts must be between 5 and 100 (the Pub/Sub limits)."
  }
}

variable "message_retention_duration" {
  type        = string
  description = "How long topics and subscriptions keep messages (replay window), as a duration in seconds such as \"604800s\"."
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.message_retention_duration)) && tonumber(trimsuffix(var.message_retention_duration, "s")) >= 600 && tonumber(trimsuffix(var.message_retention_duration, "s")) <= 604800
    error_message = "message_retention_duration must be between \"600s\" and \"604800s\"."
  }
}

variable "api_invoker_members" {
  type        = list(string)
  description = "Principals allowed to call the upload-url function (the web front end's identity, people), e.g. group:ap-reviewers@example.com. Public principals are rejected. The api authenticates its callers itself (api_users, API keys)."
  default     = []

  validation {
    condition     = alltrue([for m in var.api_invoker_members : can(regex("^(user|group|serviceAccount|domain):[^\\s]+$", m))])
    error_message = "api_invoker_members entries must be user:, group:, serviceAccount: or domain: principals."
  }
}

variable "scheduler_time_zone" {
  type        = string
  description = "Time zone (tz database name) of the Cloud Scheduler cron expressions."
  default     = "Etc/UTC"
}

variable "schedules" {
  type = object({
    drift_check = string
    retrain     = string
    batch       = string
  })
  description = "Cron expressions of the scheduled functions: drift check every 6 hours, weekly retraining, nightly batch export."
  default = {
    drift_check = "0 */6 * * *"
    retrain     = "0 3 * * 1"
    batch       = "30 1 * * *"
  }

  validation {
    condition     = alltrue([for s in values(var.schedules) : length(split(" ", trimspace(s))) == 5])
    error_message = "Each schedule must be a five-field cron expression."
  }
}

variable "log_level" {
  type        = string
  description = "Log level of every function."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channel ids (projects/P/notificationChannels/N) that receive every alert. Channels are created outside this module (they carry personal addresses)."
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels entries must be full channel ids: projects/P/notificationChannels/N."
  }
}

variable "alert_error_rate_threshold" {
  type        = number
  description = "Share of failed invocations (5xx) of a function over 5 minutes above which an alert opens."
  default     = 0.05

  validation {
    condition     = var.alert_error_rate_threshold > 0 && var.alert_error_rate_threshold < 1
    error_message = "alert_error_rate_threshold must be a fraction between 0 and 1."
  }
}

variable "alert_dead_letter_threshold" {
  type        = number
  description = "Dead-lettered messages per 5 minutes above which an alert opens (0 alerts on the first one)."
  default     = 0

  validation {
    condition     = var.alert_dead_letter_threshold >= 0
    error_message = "alert_dead_letter_threshold must not be negative."
  }
}

variable "retrain_job_image" {
  type        = string
  description = "Container image of the retraining Cloud Run job (built by cloudbuild.yaml from dist/jobs/retrain)."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.retrain_job_image))
    error_message = "retrain_job_image must be an image reference with a tag or digest."
  }
}

variable "retrain_base_dataset" {
  type        = string
  description = "Object in the models bucket holding the base training corpus (JSONL rows with a .meta.json beside it)."
  default     = "training/base/dataset.jsonl"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]+\\.jsonl$", var.retrain_base_dataset))
    error_message = "retrain_base_dataset must be a .jsonl object name."
  }
}

variable "retrain_trials" {
  type        = number
  description = "Random-search trials per GBDT model in a retraining run."
  default     = 20

  validation {
    condition     = var.retrain_trials >= 1 && var.retrain_trials <= 500
    error_message = "retrain_trials must be between 1 and 500."
  }
}

variable "retrain_job_timeout_seconds" {
  type        = number
  description = "Time limit of one retraining task."
  default     = 3600

  validation {
    condition     = var.retrain_job_timeout_seconds >= 600 && var.retrain_job_timeout_seconds <= 86400
    error_message = "retrain_job_timeout_seconds must be between 600 and 86400."
  }
}

variable "prediction_retention_days" {
  type        = number
  description = "Days a prediction-log entry is kept (Firestore TTL on expiresAt)."
  default     = 180

  validation {
    condition     = var.prediction_retention_days >= 1 && var.prediction_retention_days <= 3650
    error_message = "prediction_retention_days must be between 1 and 3650."
  }
}

variable "registry_refresh_seconds" {
  type        = number
  description = "How often inference instances re-check the production pointers: the longest delay from a promotion to its first scoring."
  default     = 60

  validation {
    condition     = var.registry_refresh_seconds >= 5 && var.registry_refresh_seconds <= 3600
    error_message = "registry_refresh_seconds must be between 5 and 3600."
  }
}

variable "promotion_mode" {
  type        = string
  description = "auto: a challenger that passes the gate is promoted; approval: it waits for an admin."
  default     = "approval"

  validation {
    condition     = contains(["auto", "approval"], var.promotion_mode)
    error_message = "promotion_mode must be auto or approval."
  }
}

variable "model_admins" {
  type        = list(string)
  description = "Who may approve or reject promotions (reviewer identities as the API sees them); empty = anyone but the requester."
  default     = []
}

variable "gate_margin" {
  type        = number
  description = "How much a challenger must beat the champion's held-out PR-AUC by to be promoted."
  default     = 0.002

  validation {
    condition     = var.gate_margin >= 0 && var.gate_margin < 1
    error_message = "gate_margin must be in [0, 1)."
  }
}

variable "gate_calibration_gain" {
  type        = number
  description = "Or rank as well (less than gate_margin below) with a held-out log loss lower by this share (0 turns this way off)."
  default     = 0.1

  validation {
    condition     = var.gate_calibration_gain >= 0 && var.gate_calibration_gain < 1
    error_message = "gate_calibration_gain must be in [0, 1)."
  }
}

variable "api_oauth_client_id" {
  type        = string
  description = "OAuth 2.0 client id of the web app (Google Identity Services): the audience the api checks on Google ID tokens. Empty = browser sign-in off, API keys only. Created in the console (APIs & Services > Credentials); not a secret."
  default     = ""

  validation {
    condition     = var.api_oauth_client_id == "" || can(regex("^[0-9]+-[a-z0-9]+\\.apps\\.googleusercontent\\.com$", var.api_oauth_client_id))
    error_message = "api_oauth_client_id must be empty or an OAuth client id such as 123-abc.apps.googleusercontent.com."
  }
}

variable "api_users" {
  type        = map(string)
  description = "Role of each signed-in user of the api: email (or *@domain for every account of that Google Workspace domain) -> viewer, reviewer or admin."
  default     = {}

  validation {
    condition     = alltrue([for email, role in var.api_users : contains(["viewer", "reviewer", "admin"], role) && can(regex("^(\\*|[^@*\\s]+)@[^@\\s]+$", email))])
    error_message = "api_users maps emails or *@domain to viewer, reviewer or admin."
  }
}

variable "api_max_instances" {
  type        = number
  description = "Maximum instances of the api function. The rate limit is shared through Firestore, so it holds whatever this is."
  default     = 10

  validation {
    condition     = var.api_max_instances >= 1 && var.api_max_instances <= 100
    error_message = "api_max_instances must be between 1 and 100."
  }
}

variable "api_rate_limit_per_minute" {
  type        = number
  description = "Requests per minute per API key (machine clients), across all instances; past it the api answers 429 with Retry-After."
  default     = 100

  validation {
    condition     = var.api_rate_limit_per_minute >= 1 && var.api_rate_limit_per_minute <= 100000
    error_message = "api_rate_limit_per_minute must be between 1 and 100000."
  }
}

variable "api_user_rate_limit_per_minute" {
  type        = number
  description = "Requests per minute per signed-in user (the web app; its live updates use one server-sent-events stream)."
  default     = 600

  validation {
    condition     = var.api_user_rate_limit_per_minute >= 1 && var.api_user_rate_limit_per_minute <= 100000
    error_message = "api_user_rate_limit_per_minute must be between 1 and 100000."
  }
}

variable "api_direct_upload_max_bytes" {
  type        = number
  description = "Largest file the api accepts in a request body (direct upload); bigger files go through a signed URL. Cloud Run caps request bodies at 32 MiB."
  default     = 10485760

  validation {
    condition     = var.api_direct_upload_max_bytes > 0 && var.api_direct_upload_max_bytes <= 33554432
    error_message = "api_direct_upload_max_bytes must be between 1 byte and 32 MiB."
  }
}

variable "audit_sample_rate" {
  type        = number
  description = "Share of auto-approved invoices drawn (deterministically per invoice) into the review queue's audit sample."
  default     = 0.05

  validation {
    condition     = var.audit_sample_rate >= 0 && var.audit_sample_rate <= 1
    error_message = "audit_sample_rate must be between 0 and 1."
  }
}

variable "webhook_max_attempts" {
  type        = number
  description = "Attempts per webhook delivery (exponential backoff from 10 s, capped at 10 min) before it is logged as failed."
  default     = 8

  validation {
    condition     = var.webhook_max_attempts >= 1 && var.webhook_max_attempts <= 20
    error_message = "webhook_max_attempts must be between 1 and 20."
  }
}
