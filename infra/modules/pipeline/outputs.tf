output "buckets" {
  description = "Bucket names by role."
  value = {
    inbox     = google_storage_bucket.inbox.name
    artifacts = google_storage_bucket.artifacts.name
    models    = google_storage_bucket.models.name
    exports   = google_storage_bucket.exports.name
    source    = google_storage_bucket.source.name
  }
}

output "topics" {
  description = "Pub/Sub topic ids by role."
  value       = { for k, t in google_pubsub_topic.topic : k => t.id }
}

output "function_urls" {
  description = "HTTPS endpoints of the HTTP functions (callers need run.invoker, except the api, which authenticates every request itself)."
  value       = { for k, f in google_cloudfunctions2_function.http : k => f.url }
}

output "function_service_accounts" {
  description = "Runtime service account email of each function."
  value       = { for k, sa in google_service_account.function : k => sa.email }
}

output "firestore_database" {
  description = "Firestore database id."
  value       = google_firestore_database.main.name
}

output "documentai_processor_version" {
  description = "Full resource name of the pinned Invoice Parser version the ocr function calls."
  value       = local.docai_processor_version_name
}

output "source_objects" {
  description = "Name of each function's deployed source archive (content-hash named), by function."
  value       = { for k, o in google_storage_bucket_object.source : k => o.name }
}

output "push_subscriptions" {
  description = "The push subscription that delivers each event function's events (dead-letter policy included)."
  value       = { for k, s in google_pubsub_subscription.push : k => s.name }
}

output "dead_letter_subscription" {
  description = "The subscription that holds dead letters for `ledgerx dead-letters list|replay --cloud`."
  value       = google_pubsub_subscription.dead_letter_hold.name
}

output "function_environment" {
  description = "Environment variables shared by every function (non-secret resource names), for local tooling that talks to this environment."
  value       = local.common_env
}
