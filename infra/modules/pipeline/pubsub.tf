# Topics are created here, never at run time. Topic-level retention keeps published messages for the replay
# window even when a subscription is recreated (seek to a time).
resource "google_pubsub_topic" "topic" {
  for_each = local.topic_names

  project                    = var.project_id
  name                       = each.value
  message_retention_duration = var.message_retention_duration
  labels                     = local.labels

  depends_on = [google_project_service.api]
}

# One shared dead-letter topic rather than one per subscription: the functions publish their permanent
# failures there in one envelope (DeadLetterSchema in functions/core/messages.ts, which names the source topic
# and subscription), and Pub/Sub adds CloudPubSubDeadLetterSourceSubscription to the messages it forwards, so
# the origin of every entry stays known. One topic means one replay tool, one hold subscription and one alert.
#
# The subscriptions behind the Eventarc triggers of features and inference are created and owned by Eventarc
# (the function resource has no dead-letter setting for them); those handlers dead-letter permanent errors
# themselves and drop events older than max_event_age_seconds, and their trigger retries transient errors
# with exponential backoff. The subscriptions Terraform owns are below, each with a dead-letter policy.

# retrain-requested -> retrain (an HTTP function): a push subscription with an OIDC token, because retrain
# is also called by Cloud Scheduler over HTTP and one entry point serves both. retrain only records the request
# (the message id dedupes redeliveries) and starts the retraining Cloud Run job, so it answers in seconds.
resource "google_pubsub_subscription" "retrain_requested" {
  project = var.project_id
  name    = "${local.topic_names.retrain_requested}-to-retrain"
  topic   = google_pubsub_topic.topic["retrain_requested"].id
  labels  = local.labels

  # The trigger answers once the job execution is started (training runs in the Cloud Run job, jobs.tf).
  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention_duration

  push_config {
    push_endpoint = google_cloudfunctions2_function.http["retrain"].url

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.http["retrain"].url
    }
  }

  retry_policy {
    minimum_backoff = "60s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letter"].id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }

  # Never expire for inactivity: a quiet week without drift must not delete the subscription.
  expiration_policy {
    ttl = ""
  }
}

# invoice-scored -> downstream consumers (ERP posting, notifications). A pull subscription so that the consumer
# controls its own rate; scored invoices wait here until it pulls them.
resource "google_pubsub_subscription" "invoice_scored" {
  project = var.project_id
  name    = "${local.topic_names.invoice_scored}-downstream"
  topic   = google_pubsub_topic.topic["invoice_scored"].id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention_duration
  enable_message_ordering    = false

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letter"].id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# dead-letter -> hold: keeps every dead letter for the full retention window so that it can be inspected and
# replayed (ledgerx replay / batch). Acked messages are retained too, so a replay can seek back after a
# mistaken ack. A poison entry that the replay tool keeps nacking is parked on its own topic instead of
# looping forever.
resource "google_pubsub_subscription" "dead_letter_hold" {
  project = var.project_id
  name    = "${local.topic_names.dead_letter}-hold"
  topic   = google_pubsub_topic.topic["dead_letter"].id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention_duration
  retain_acked_messages      = true

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter_parked.id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# Last stop for dead letters that the replay tool itself could not handle. Nothing consumes it automatically;
# retention keeps the entries for manual inspection with a subscription created on demand.
resource "google_pubsub_topic" "dead_letter_parked" {
  project                    = var.project_id
  name                       = "${local.topic_names.dead_letter}-parked"
  message_retention_duration = var.message_retention_duration
  labels                     = local.labels

  depends_on = [google_project_service.api]
}

locals {
  # Subscriptions with a dead-letter policy: the Pub/Sub service agent must be able to pull from each of them
  # and to publish to its dead-letter topic (see iam.tf).
  dead_letter_sources = {
    retrain_requested = google_pubsub_subscription.retrain_requested.name
    invoice_scored    = google_pubsub_subscription.invoice_scored.name
    dead_letter_hold  = google_pubsub_subscription.dead_letter_hold.name
  }
}
