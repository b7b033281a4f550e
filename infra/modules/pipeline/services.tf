# APIs the pipeline needs. disable_on_destroy = false: destroying this module must never switch off an API
# that other workloads in the project may use.
locals {
  services = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "documentai.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    # upload-url signs V4 URLs without a key file: the storage client calls signBlob of the IAM Service
    # Account Credentials API as the function's own identity (token creator on itself, iam.tf).
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "api" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# Service agents are created lazily by Google on first use; creating them explicitly lets the IAM members
# below refer to them on the very first apply.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.api]
}

# The Cloud Storage service agent publishes the inbox's object notifications to the object-finalized topic.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id

  depends_on = [google_project_service.api]
}
