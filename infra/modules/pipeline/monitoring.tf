# Log-based metrics read the functions' JSON log lines (one per entry, `severity`, `message`, domain keys;
# see functions/platform/logger.ts). Built-in metrics cover what the platform itself reports.

locals {
  service_name_regex = "^${var.name_prefix}-"
  run_logs           = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"${local.service_name_regex}\""
}

resource "google_logging_metric" "function_errors" {
  project = var.project_id
  name    = "${var.name_prefix}_function_errors"
  # ERROR lines include acked permanent failures, which answer 2xx and so never show in the 5xx rate.
  filter = "${local.run_logs} AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Cloud Run service name of the function."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }
}

resource "google_logging_metric" "dead_letters" {
  project = var.project_id
  name    = "${var.name_prefix}_dead_letters"
  # The handlers log one line per message they dead-letter (deadLettered = true, with code and invoiceId).
  filter = "${local.run_logs} AND (jsonPayload.deadLettered=true OR jsonPayload.message=~\"(?i)dead.?letter\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Cloud Run service name of the function."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }
}

resource "google_logging_metric" "documentai_quota" {
  project = var.project_id
  name    = "${var.name_prefix}_documentai_quota_exceeded"
  # Quota and rate errors surface as gRPC RESOURCE_EXHAUSTED (HTTP 429); the oversized-response failure is
  # reported the same way ("Received message larger than max").
  filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.name_prefix}-ocr\" AND (jsonPayload.errorCode=\"RESOURCE_EXHAUSTED\" OR jsonPayload.errorCode=\"8\" OR jsonPayload.httpStatus=429 OR \"RESOURCE_EXHAUSTED\" OR \"Quota exceeded\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_monitoring_alert_policy" "function_error_rate" {
  project               = var.project_id
  display_name          = "LedgerX ${var.environment}: function error rate"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "5xx share above ${var.alert_error_rate_threshold} over 5 minutes"

    # A failed event invocation answers 5xx and is redelivered: a high share means a stage is stuck.
    condition_prometheus_query_language {
      query               = <<-EOT
        sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision", service_name=~"${local.service_name_regex}.*", response_code_class="5xx"}[5m]))
        /
        sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision", service_name=~"${local.service_name_regex}.*"}[5m]))
        > ${var.alert_error_rate_threshold}
      EOT
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  conditions {
    display_name = "ERROR log lines per function above 20 in 5 minutes"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.function_errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 20
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.function"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A LedgerX function fails often. Check its logs (filter on jsonPayload.function and errorCode); transient errors are retried automatically, permanent ones end in the dead-letter topic."
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "LedgerX ${var.environment}: dead letters published"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Dead-letter log lines"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.dead_letters.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_dead_letter_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  # Also counts what Pub/Sub forwards after max delivery attempts, which no function logs.
  conditions {
    display_name = "Messages published to the dead-letter topic"

    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/topic/send_message_operation_count\" AND resource.type=\"pubsub_topic\" AND resource.label.topic_id=\"${google_pubsub_topic.topic["dead_letter"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_dead_letter_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
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
    content   = "Messages reached the dead-letter topic. Inspect them on the dead-letter-hold subscription (reason and code are in the envelope) and replay after fixing the cause."
  }
}

resource "google_monitoring_alert_policy" "documentai_quota" {
  project               = var.project_id
  display_name          = "LedgerX ${var.environment}: Document AI quota exceeded"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "RESOURCE_EXHAUSTED / 429 seen by ocr"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.documentai_quota.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Document AI quota exceeded (service metric)"

    condition_threshold {
      filter          = "metric.type=\"serviceruntime.googleapis.com/quota/exceeded\" AND resource.type=\"consumer_quota\" AND resource.label.service=\"documentai.googleapis.com\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_COUNT_TRUE"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Document AI throttles the ocr function. Throttled events are retried with backoff (nothing is lost), but throughput drops: lower ocr_max_instances or request a quota increase."
  }
}
