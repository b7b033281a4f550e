# The dev environment: state location, providers and one call of the pipeline module. Everything else lives
# in the module. The state bucket is passed at init time (terraform init -backend-config="bucket=...") because
# a backend block cannot read variables.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  backend "gcs" {
    prefix = "ledgerx/dev"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

module "pipeline" {
  source = "../../modules/pipeline"

  project_id            = var.project_id
  region                = var.region
  environment           = "dev"
  function_archives_dir = var.function_archives_dir
  retrain_job_image     = var.retrain_job_image

  upload_cors_origins   = var.upload_cors_origins
  api_invoker_members   = var.api_invoker_members
  api_oauth_client_id   = var.api_oauth_client_id
  api_users             = var.api_users
  notification_channels = var.notification_channels

  # Throwaway data: buckets may be destroyed with their content, no deletion protection, small scale.
  force_destroy_buckets            = true
  deletion_protection              = false
  firestore_point_in_time_recovery = false
  ocr_max_instances                = 3
  exports_retention_days           = 14
  inbox_retention_days             = 30
  log_level                        = "debug"
}
