output "buckets" {
  description = "Bucket names by role (the smoke test uploads to buckets.inbox)."
  value       = module.pipeline.buckets
}

output "function_urls" {
  description = "HTTPS endpoints of the HTTP functions."
  value       = module.pipeline.function_urls
}

output "firestore_database" {
  description = "Firestore database id (the smoke test polls invoices there)."
  value       = module.pipeline.firestore_database
}

output "documentai_processor_version" {
  description = "Pinned Invoice Parser version."
  value       = module.pipeline.documentai_processor_version
}

output "function_environment" {
  description = "Non-secret environment shared by the functions."
  value       = module.pipeline.function_environment
}
