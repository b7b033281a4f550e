# Batch jobs (functions/batch.ts, functions/core/batch): the hourly sweep and the daily summary on Cloud
# Scheduler next to the nightly export (scheduler.tf, key "batch"), and the BigQuery dataset whose external
# table reads the nightly JSON-lines exports in place, so the finance team can query them with SQL without
# another pipeline. Each call names its job kind in the body; the function records one job per window, so a
# Scheduler retry never runs a window twice, and a job stopped at the function's timeout is resumed from its
# checkpoint by the next call (its lease runs out after 5 minutes).

variable "batch_schedules" {
  type = object({
    sweep   = string
    summary = string
  })
  description = "Cron expressions of the batch jobs besides the nightly export (schedules.batch): the sweep (uploads without a record, stuck invoices) and the daily summary."
  default = {
    sweep   = "15 * * * *"
    summary = "45 1 * * *"
  }

  validation {
    condition     = alltrue([for s in values(var.batch_schedules) : length(split(" ", trimspace(s))) == 5])
    error_message = "Each batch schedule must be a five-field cron expression."
  }
}

variable "documentai_monthly_page_budget" {
  type        = number
  description = "Document AI pages budgeted per month; the daily summary compares this month's pages with it (0 = no budget)."
  default     = 0

  validation {
    condition     = var.documentai_monthly_page_budget >= 0 && var.documentai_monthly_page_budget == floor(var.documentai_monthly_page_budget)
    error_message = "documentai_monthly_page_budget must be a whole number >= 0."
  }
}

variable "documentai_backlog_prefix" {
  type        = string
  description = "Inbox prefix (inside the upload prefix's bucket) for backlogs: ocr leaves new objects there to the docai-backlog job, which reads them through Document AI batch requests of many files (empty = none; the job then needs a prefix in its params)."
  default     = ""

  validation {
    condition     = var.documentai_backlog_prefix == "" || can(regex("^([^/]+/)+$", var.documentai_backlog_prefix))
    error_message = "documentai_backlog_prefix must be empty or a relative prefix ending with /."
  }
}

variable "exports_dataset_location" {
  type        = string
  description = "Location of the BigQuery dataset over the exports; must be compatible with the exports bucket's location (empty = the region)."
  default     = ""
}

locals {
  # The docai-backlog job's working prefix of the artifacts bucket (functions/platform/gcp/runtimes/batch.ts).
  docai_backlog_work_prefix = "docai-backlog/"

  # Columns of invoices/dt=<day>/invoices.jsonl (functions/core/batch/export.ts exportJsonLine); `dt` comes from
  # the object path (Hive partitioning).
  export_json_schema = [
    { name = "ledgerx_id", type = "STRING", mode = "REQUIRED" },
    { name = "day", type = "DATE", mode = "NULLABLE" },
    { name = "file", type = "STRING", mode = "NULLABLE" },
    { name = "status", type = "STRING", mode = "NULLABLE" },
    { name = "revision", type = "INT64", mode = "NULLABLE" },
    { name = "decision", type = "STRING", mode = "NULLABLE" },
    { name = "reasons", type = "STRING", mode = "REPEATED" },
    { name = "reject_code", type = "STRING", mode = "NULLABLE" },
    {
      name = "fields", type = "RECORD", mode = "NULLABLE", fields = [
        { name = "invoice_id", type = "STRING", mode = "NULLABLE" },
        { name = "invoice_date", type = "DATE", mode = "NULLABLE" },
        { name = "due_date", type = "DATE", mode = "NULLABLE" },
        { name = "supplier_name", type = "STRING", mode = "NULLABLE" },
        { name = "supplier_tax_id", type = "STRING", mode = "NULLABLE" },
        { name = "supplier_iban", type = "STRING", mode = "NULLABLE" },
        { name = "receiver_name", type = "STRING", mode = "NULLABLE" },
        { name = "currency", type = "STRING", mode = "NULLABLE" },
        { name = "net_amount", type = "FLOAT64", mode = "NULLABLE" },
        { name = "total_tax_amount", type = "FLOAT64", mode = "NULLABLE" },
        { name = "total_amount", type = "FLOAT64", mode = "NULLABLE" },
        { name = "amount_due", type = "FLOAT64", mode = "NULLABLE" },
        { name = "payment_terms", type = "STRING", mode = "NULLABLE" },
        { name = "purchase_order", type = "STRING", mode = "NULLABLE" },
      ]
    },
    {
      name = "scores", type = "RECORD", mode = "NULLABLE", fields = [
        { name = "quality", type = "FLOAT64", mode = "NULLABLE" },
        { name = "failure_risk", type = "FLOAT64", mode = "NULLABLE" },
        { name = "anomaly", type = "FLOAT64", mode = "NULLABLE" },
        { name = "rule_quality", type = "FLOAT64", mode = "NULLABLE" },
      ]
    },
    { name = "decision_basis", type = "STRING", mode = "NULLABLE" },
    {
      name = "model_versions", type = "RECORD", mode = "REPEATED", fields = [
        { name = "model", type = "STRING", mode = "NULLABLE" },
        { name = "version", type = "STRING", mode = "NULLABLE" },
      ]
    },
    { name = "feature_schema_version", type = "STRING", mode = "NULLABLE" },
    { name = "extraction", type = "STRING", mode = "NULLABLE" },
    { name = "created_at", type = "TIMESTAMP", mode = "NULLABLE" },
  ]
}

resource "google_project_service" "bigquery" {
  project            = var.project_id
  service            = "bigquery.googleapis.com"
  disable_on_destroy = false
}

resource "google_bigquery_dataset" "exports" {
  project       = var.project_id
  dataset_id    = "${replace(var.name_prefix, "-", "_")}_exports"
  friendly_name = "LedgerX exports"
  description   = "The nightly invoice exports (one row per invoice: fields, decision, reasons, scores, model versions), read in place from the exports bucket."
  location      = var.exports_dataset_location != "" ? var.exports_dataset_location : var.region
  labels        = local.labels

  depends_on = [google_project_service.bigquery]
}

resource "google_bigquery_table" "invoices" {
  project     = var.project_id
  dataset_id  = google_bigquery_dataset.exports.dataset_id
  table_id    = "invoices"
  description = "External table over gs://<exports>/invoices/dt=<day>/invoices.jsonl, partitioned by dt. A rerun of a day's export replaces its file, so a day is never counted twice."
  labels      = local.labels
  # Dropping the table drops no data (the files stay in the bucket); it is recreated from this definition.
  deletion_protection = false

  external_data_configuration {
    autodetect            = false
    source_format         = "NEWLINE_DELIMITED_JSON"
    source_uris           = ["gs://${google_storage_bucket.exports.name}/invoices/*.jsonl"]
    ignore_unknown_values = true
    schema                = jsonencode(local.export_json_schema)

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "gs://${google_storage_bucket.exports.name}/invoices/{dt:DATE}"
      require_partition_filter = false
    }
  }
}
