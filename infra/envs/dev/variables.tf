variable "project_id" {
  type        = string
  description = "Google Cloud project of this environment."
}

variable "region" {
  type        = string
  description = "Region of the functions, buckets and scheduler jobs."
  default     = "europe-west1"
}

variable "function_archives_dir" {
  type        = string
  description = "Folder of the per-function source archives (<function>.zip) built by CI (cloudbuild.yaml, package step)."
}

variable "retrain_job_image" {
  type        = string
  description = "Image of the retraining Cloud Run job, pushed by CI (cloudbuild.yaml, retrain-job-image step)."
}

variable "upload_cors_origins" {
  type        = list(string)
  description = "Origins of the web page allowed to PUT uploads through signed URLs."
  default     = []
}

variable "api_invoker_members" {
  type        = list(string)
  description = "Principals allowed to call the upload-url function (user:, group:, serviceAccount:, domain:)."
  default     = []
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channel ids that receive the alerts."
  default     = []
}

variable "api_oauth_client_id" {
  type        = string
  description = "OAuth client id of the web app: the audience of the Google ID tokens the api accepts (empty = API keys only)."
  default     = ""
}

variable "api_users" {
  type        = map(string)
  description = "Role (viewer, reviewer, admin) of each signed-in user of the api, by email or *@domain."
  default     = {}
}
