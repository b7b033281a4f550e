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

# ------------------------------------------------------------------------------------------ event delivery
#
# Every event function is fed by a push subscription Terraform owns, not by an Eventarc trigger. Eventarc
# creates its own subscriptions, which take no dead-letter policy from Terraform and retry for as long as
# they retain a message (a day): a poison event was retried for a day and then dropped, its invoice RECEIVED
# forever. Here each subscription has
# - a dead-letter policy: after max_delivery_attempts the message is forwarded to the dead-letter topic;
# - that same number in the function's LEDGERX_MAX_DELIVERY_ATTEMPTS: the push body carries deliveryAttempt
#   (only subscriptions with a dead-letter policy send it), so on the last attempt the handler publishes the
#   dead letter itself, with the failure's code and reason, marks the invoice FAILED and acks; Pub/Sub's own
#   forwarding remains the backstop for an attempt that never answers (a crash or a timeout);
# - exponential backoff between attempts (10 s to 10 min), so the whole budget is spent within
#   max_delivery_attempts x 10 min, far below the message retention, and an age bound
#   (max_event_age_seconds, validated far below the retention) for anything older;
# - an ack deadline longer than the function's timeout (a slow success is not delivered twice);
# - an OIDC token of the function's push identity, the only principal besides the owners that may invoke it.
# Uploads reach ocr the same way: the inbox's Cloud Storage notifications are published to object-finalized.

resource "google_storage_notification" "inbox" {
  bucket         = google_storage_bucket.inbox.name
  topic          = google_pubsub_topic.topic["object_finalized"].id
  payload_format = "JSON_API_V1"
  # A new object or a new generation of one; metadata updates and deletes are no uploads.
  event_types = ["OBJECT_FINALIZE"]

  # Cloud Storage checks at creation that its service agent may publish to the topic (iam.tf, topic_grants).
  depends_on = [google_pubsub_topic_iam_member.grant]
}

resource "google_pubsub_subscription" "push" {
  for_each = local.event_functions

  project = var.project_id
  name    = "${local.topic_names[each.value.topic]}-to-${each.key}"
  topic   = google_pubsub_topic.topic[each.value.topic].id
  labels  = local.labels

  ack_deadline_seconds       = local.push_ack_deadline_seconds[each.key]
  message_retention_duration = var.message_retention_duration

  push_config {
    # The topic in the path names the source of the push (functions-framework convention); the function reads
    # the body, which carries the subscription, the message and deliveryAttempt.
    push_endpoint = "${google_cloudfunctions2_function.event[each.key].url}/projects/${var.project_id}/topics/${local.topic_names[each.value.topic]}"

    oidc_token {
      service_account_email = google_service_account.trigger[each.key].email
      audience              = google_cloudfunctions2_function.event[each.key].url
    }
  }

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

  lifecycle {
    precondition {
      condition     = var.max_event_age_seconds * 4 <= tonumber(trimsuffix(var.message_retention_duration, "s"))
      error_message = "max_event_age_seconds must stay far below message_retention_duration (at most a quarter of it), so that no event can expire unrecorded."
    }
  }
}

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
# replayed (`ledgerx dead-letters list|replay --cloud`: a replay republishes to the original topic and acks).
# Acked messages are retained too, so a replay can seek back after a mistaken ack. Listing pulls every entry
# and hands it back (a nack), which Pub/Sub counts as a delivery attempt: the hold subscription allows the
# maximum (100) before it parks an entry on its own topic, instead of looping forever.
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
    max_delivery_attempts = 100
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
    ocr_push          = google_pubsub_subscription.push["ocr"].name
    features_push     = google_pubsub_subscription.push["features"].name
    inference_push    = google_pubsub_subscription.push["inference"].name
    webhooks_push     = google_pubsub_subscription.push["webhooks"].name
    retrain_requested = google_pubsub_subscription.retrain_requested.name
    invoice_scored    = google_pubsub_subscription.invoice_scored.name
    dead_letter_hold  = google_pubsub_subscription.dead_letter_hold.name
  }
}
