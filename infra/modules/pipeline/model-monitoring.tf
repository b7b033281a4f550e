# Model monitoring (functions/core/monitoring): the drift-check function and the operations policy log one
# structured line per finding (`ledgerxFinding` = its kind), per alert action (`ledgerxAlert`) and per action
# waiting for an admin (`ledgerxPendingApproval` = true). Log-based metrics count them; alert policies notify the
# channels of var.notification_channels plus, when var.ops_alert_email is set, an email channel made here.

variable "ops_alert_email" {
  type        = string
  description = "Email address notified of model drift, performance drops and operations actions awaiting approval; empty = only var.notification_channels."
  default     = ""

  validation {
    condition     = var.ops_alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.ops_alert_email))
    error_message = "ops_alert_email must be an email address or empty."
  }
}

variable "monitoring_config" {
  type        = string
  description = "JSON of the monitoring settings (drift tests and thresholds, window, performance floors, policy: functions/core/monitoring/config.ts); {} = the defaults."
  default     = "{}"

  validation {
    condition     = can(jsondecode(var.monitoring_config))
    error_message = "monitoring_config must be JSON."
  }
}

resource "google_monitoring_notification_channel" "ops_email" {
  count = var.ops_alert_email == "" ? 0 : 1

  project      = var.project_id
  display_name = "LedgerX ${var.environment} model operations"
  type         = "email"
  labels = {
    email_address = var.ops_alert_email
  }
  user_labels = local.labels
}

locals {
  model_alert_channels = concat(var.notification_channels, google_monitoring_notification_channel.ops_email[*].id)

  model_log_metrics = {
    model_findings = {
      filter      = "${local.run_logs} AND jsonPayload.ledgerxFinding:*"
      label       = "kind"
      extractor   = "EXTRACT(jsonPayload.ledgerxFinding)"
      description = "Finding kind: data-drift, prediction-drift, performance-drop, reject-share-rising, failed-share-rising, low-confidence-rising."
    }
    ops_alerts = {
      filter      = "${local.run_logs} AND jsonPayload.ledgerxAlert:*"
      label       = "kind"
      extractor   = "EXTRACT(jsonPayload.ledgerxAlert)"
      description = "Kind of the finding the alert action is about."
    }
    ops_pending_approvals = {
      filter      = "${local.run_logs} AND jsonPayload.ledgerxPendingApproval=true"
      label       = "action"
      extractor   = "EXTRACT(jsonPayload.actionType)"
      description = "Type of the action waiting for an admin: rollback, hold-promotions, request-retraining."
    }
  }

  # One alert policy per concern: which metric, which label values, what to do.
  model_alerts = {
    drift = {
      display_name = "model drift (data or prediction)"
      metric       = "model_findings"
      label_filter = "metric.label.kind=monitoring.regex.full_match(\"data-drift|prediction-drift\")"
      doc          = "The drift check found the serving data or a model's scores drifted from its training baseline. The operations policy requested retraining (see `ledgerx ops log` or GET /v1/ops/log and the drift report at GET /v1/drift/reports)."
    }
    performance = {
      display_name = "model performance below its floor"
      metric       = "model_findings"
      label_filter = "metric.label.kind=monitoring.regex.full_match(\"performance-drop|reject-share-rising|failed-share-rising|low-confidence-rising\")"
      doc          = "Realized or estimated F1 fell below its floor, or the REJECT / FAILED / low-confidence share rose. A rollback or a hold on promotions may be waiting for approval: GET /v1/ops/log?status=pending-approval."
    }
    pending_approvals = {
      display_name = "operations action awaiting approval"
      metric       = "ops_pending_approvals"
      label_filter = ""
      doc          = "The operations policy proposed an action above its auto-run risk. An admin approves or rejects it: POST /v1/ops/actions/{id}/approve or /reject (or `ledgerx ops approve|reject` locally)."
    }
  }
}

resource "google_logging_metric" "model" {
  for_each = local.model_log_metrics

  project = var.project_id
  name    = "${var.name_prefix}_${each.key}"
  filter  = each.value.filter

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = each.value.label
      value_type  = "STRING"
      description = each.value.description
    }
  }

  label_extractors = {
    (each.value.label) = each.value.extractor
  }
}

resource "google_monitoring_alert_policy" "model" {
  for_each = local.model_alerts

  project               = var.project_id
  display_name          = "LedgerX ${var.environment}: ${each.value.display_name}"
  combiner              = "OR"
  notification_channels = local.model_alert_channels
  user_labels           = local.labels

  conditions {
    display_name = "${each.value.display_name}: any in 6 hours"

    condition_threshold {
      filter          = join(" AND ", compact(["metric.type=\"logging.googleapis.com/user/${google_logging_metric.model[each.value.metric].name}\"", "resource.type=\"cloud_run_revision\"", each.value.label_filter]))
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        # Matches the drift check's schedule: one check, at most one notification.
        alignment_period     = "21600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.doc
  }
}

# The operations log's list of actions by status, newest first (FirestoreOpsStore.actions).
resource "google_firestore_index" "ops_actions_by_status" {
  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = "opsActions"
  query_scope = "COLLECTION"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "createdAt"
    order      = "DESCENDING"
  }
}

# The api runs an approved action at once; approving a retraining publishes retrain-requested as the api.
resource "google_pubsub_topic_iam_member" "api_publish_retrain_requested" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["retrain_requested"].name
  role    = "roles/pubsub.publisher"
  member  = local.principals["api"]
}
