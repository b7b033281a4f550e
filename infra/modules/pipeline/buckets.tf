# Every bucket: uniform bucket-level access (no per-object ACLs to audit) and public access prevention
# enforced (no principal can ever make an invoice public, whatever IAM says).

resource "google_storage_bucket" "inbox" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-inbox"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets
  labels                      = local.labels

  # Browser uploads go straight to the bucket with a V4 signed PUT URL from the upload-url function, so the
  # browser makes a cross-origin request and needs CORS:
  # - origin: only the web page's origins (var.upload_cors_origins), never "*";
  # - method: PUT is the signed upload itself; OPTIONS is the preflight the browser sends first because of
  #   the custom headers below;
  # - response_header: headers the browser may send/read. Content-Type must be exactly the type that was
  #   signed (a different one is a signature mismatch), and x-goog-content-length-range is the signed header
  #   that fixes the upload size to the size declared to upload-url (at most upload_max_bytes): Cloud Storage
  #   rejects a body of another length, so the size limit is enforced before any byte reaches the ocr function;
  # - max_age_seconds: the browser caches the preflight answer for an hour.
  cors {
    origin          = var.upload_cors_origins
    method          = ["PUT", "OPTIONS"]
    response_header = ["Content-Type", "x-goog-content-length-range"]
    max_age_seconds = 3600
  }

  dynamic "lifecycle_rule" {
    for_each = var.inbox_retention_days > 0 ? [var.inbox_retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  # Abandoned resumable uploads otherwise keep billing storage for their parts.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-artifacts"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets
  labels                      = local.labels

  # OCR results are read hot in the minutes after an upload and rarely after: Nearline is cheaper at rest.
  lifecycle_rule {
    condition {
      age                   = var.artifacts_nearline_after_days
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket" "models" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-models"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets
  labels                      = local.labels

  # Versions are immutable by convention; object versioning also protects the registry pointer file from an
  # accidental overwrite and makes a bad promotion recoverable.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = var.model_noncurrent_versions_kept
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket" "exports" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-exports"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets
  labels                      = local.labels

  # Exports are copies for downstream systems; the source of truth stays in Firestore.
  lifecycle_rule {
    condition {
      age = var.exports_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-function-source"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets
  labels                      = local.labels

  # Old archives are only needed to roll back by re-applying an older commit; CI can rebuild them.
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Named by content hash: identical builds reuse the object (no redeploy), any change is a new name, which
# changes build_config.source and redeploys every function.
resource "google_storage_bucket_object" "source" {
  for_each = local.function_names

  bucket       = google_storage_bucket.source.name
  name         = "${var.name_prefix}-${each.key}-${filesha256("${var.function_archives_dir}/${each.key}.zip")}.zip"
  source       = "${var.function_archives_dir}/${each.key}.zip"
  content_type = "application/zip"
}
