# Secret containers only. Values are added out of band (gcloud secrets versions add ...) so that they never
# appear in Terraform state or plans; each secret needs one version before the first apply of the functions
# that mount it.
locals {
  secrets = {
    # Bearer tokens (hashed, with roles) accepted by the review API in addition to IAM identity.
    api-tokens = "API tokens and their roles accepted by the api function."
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = "${var.name_prefix}-${each.key}"
  labels    = local.labels
  annotations = {
    purpose = each.value
  }

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}

# Who may read which secret: secret_grants in iam.tf.
