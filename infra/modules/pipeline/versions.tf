# Provider pins: one major of each provider, so that a `terraform init -upgrade` can never pull in a major
# release with breaking schema changes. google-beta is needed for google_project_service_identity.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

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
