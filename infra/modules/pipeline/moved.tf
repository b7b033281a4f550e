# Where the IAM members lived before iam.tf became tables (one resource per grant, named like today's table
# keys): these moves let the first apply after that change adopt every existing member under its new address
# instead of destroying and re-creating it. Destroy and create of the same member under two addresses are not
# ordered by Terraform; if the destroy ran last, the member would be gone until the next apply.
# Delete this file once every environment has been applied with it (terraform plan then shows no moves).
# The Cloud Storage agent's project-wide publisher role and the Eventarc grants have no move: they are gone
# with the Eventarc triggers (the agent publishes to one topic now, topic_grants).
# Grants removed since (api and retrain no longer write the models bucket: the registry pointer is in Firestore
# and training runs as the retrain-job identity) have no move: their old members are destroyed, on purpose.

moved {
  from = google_project_iam_member.ocr_documentai_user
  to   = google_project_iam_member.grant["ocr_documentai_user"]
}

moved {
  from = google_project_iam_member.ocr_firestore_user
  to   = google_project_iam_member.firestore["ocr_firestore_user"]
}

moved {
  from = google_project_iam_member.features_firestore_user
  to   = google_project_iam_member.firestore["features_firestore_user"]
}

moved {
  from = google_project_iam_member.inference_firestore_user
  to   = google_project_iam_member.firestore["inference_firestore_user"]
}

moved {
  from = google_project_iam_member.upload_url_firestore_user
  to   = google_project_iam_member.firestore["upload_url_firestore_user"]
}

moved {
  from = google_project_iam_member.api_firestore_user
  to   = google_project_iam_member.firestore["api_firestore_user"]
}

moved {
  from = google_project_iam_member.drift_check_firestore_user
  to   = google_project_iam_member.firestore["drift_check_firestore_user"]
}

moved {
  from = google_project_iam_member.retrain_firestore_user
  to   = google_project_iam_member.firestore["retrain_firestore_user"]
}

moved {
  from = google_project_iam_member.batch_firestore_user
  to   = google_project_iam_member.firestore["batch_firestore_user"]
}

moved {
  from = google_storage_bucket_iam_member.documentai_agent_inbox_viewer[0]
  to   = google_storage_bucket_iam_member.grant["documentai_agent_inbox_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.documentai_agent_artifacts_creator[0]
  to   = google_storage_bucket_iam_member.grant["documentai_agent_artifacts_creator"]
}

moved {
  from = google_storage_bucket_iam_member.ocr_inbox_viewer
  to   = google_storage_bucket_iam_member.grant["ocr_inbox_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.ocr_artifacts_creator
  to   = google_storage_bucket_iam_member.grant["ocr_artifacts_creator"]
}

moved {
  from = google_storage_bucket_iam_member.ocr_artifacts_viewer
  to   = google_storage_bucket_iam_member.grant["ocr_artifacts_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.features_artifacts_viewer
  to   = google_storage_bucket_iam_member.grant["features_artifacts_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.inference_models_viewer
  to   = google_storage_bucket_iam_member.grant["inference_models_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.upload_url_inbox_creator
  to   = google_storage_bucket_iam_member.grant["upload_url_inbox_creator"]
}

moved {
  from = google_storage_bucket_iam_member.api_inbox_viewer
  to   = google_storage_bucket_iam_member.grant["api_inbox_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.api_artifacts_viewer
  to   = google_storage_bucket_iam_member.grant["api_artifacts_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.api_exports_viewer
  to   = google_storage_bucket_iam_member.grant["api_exports_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.drift_check_models_viewer
  to   = google_storage_bucket_iam_member.grant["drift_check_models_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.drift_check_artifacts_creator
  to   = google_storage_bucket_iam_member.grant["drift_check_artifacts_creator"]
}

moved {
  from = google_storage_bucket_iam_member.batch_inbox_viewer
  to   = google_storage_bucket_iam_member.grant["batch_inbox_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.batch_artifacts_viewer
  to   = google_storage_bucket_iam_member.grant["batch_artifacts_viewer"]
}

moved {
  from = google_storage_bucket_iam_member.batch_exports_creator
  to   = google_storage_bucket_iam_member.grant["batch_exports_creator"]
}

moved {
  from = google_pubsub_topic_iam_member.pubsub_agent_dead_letter_publisher
  to   = google_pubsub_topic_iam_member.grant["pubsub_agent_dead_letter_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.pubsub_agent_parked_publisher
  to   = google_pubsub_topic_iam_member.grant["pubsub_agent_parked_publisher"]
}

moved {
  from = google_pubsub_topic_iam_member.ocr_publish_ocr_completed
  to   = google_pubsub_topic_iam_member.grant["ocr_publish_ocr_completed"]
}

moved {
  from = google_pubsub_topic_iam_member.ocr_publish_dead_letter
  to   = google_pubsub_topic_iam_member.grant["ocr_publish_dead_letter"]
}

moved {
  from = google_pubsub_topic_iam_member.features_publish_features_computed
  to   = google_pubsub_topic_iam_member.grant["features_publish_features_computed"]
}

moved {
  from = google_pubsub_topic_iam_member.features_publish_dead_letter
  to   = google_pubsub_topic_iam_member.grant["features_publish_dead_letter"]
}

moved {
  from = google_pubsub_topic_iam_member.inference_publish_invoice_scored
  to   = google_pubsub_topic_iam_member.grant["inference_publish_invoice_scored"]
}

moved {
  from = google_pubsub_topic_iam_member.inference_publish_dead_letter
  to   = google_pubsub_topic_iam_member.grant["inference_publish_dead_letter"]
}

moved {
  from = google_pubsub_topic_iam_member.drift_check_publish_retrain_requested
  to   = google_pubsub_topic_iam_member.grant["drift_check_publish_retrain_requested"]
}

moved {
  from = google_pubsub_topic_iam_member.batch_publish_ocr_completed
  to   = google_pubsub_topic_iam_member.grant["batch_publish_ocr_completed"]
}

moved {
  from = google_pubsub_topic_iam_member.batch_publish_features_computed
  to   = google_pubsub_topic_iam_member.grant["batch_publish_features_computed"]
}

moved {
  from = google_pubsub_subscription_iam_member.pubsub_agent_dead_letter_subscriber["retrain_requested"]
  to   = google_pubsub_subscription_iam_member.grant["pubsub_agent_retrain_requested_subscriber"]
}

moved {
  from = google_pubsub_subscription_iam_member.pubsub_agent_dead_letter_subscriber["invoice_scored"]
  to   = google_pubsub_subscription_iam_member.grant["pubsub_agent_invoice_scored_subscriber"]
}

moved {
  from = google_pubsub_subscription_iam_member.pubsub_agent_dead_letter_subscriber["dead_letter_hold"]
  to   = google_pubsub_subscription_iam_member.grant["pubsub_agent_dead_letter_hold_subscriber"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_trigger_token["ocr"]
  to   = google_service_account_iam_member.grant["pubsub_agent_trigger_ocr_token"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_trigger_token["features"]
  to   = google_service_account_iam_member.grant["pubsub_agent_trigger_features_token"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_trigger_token["inference"]
  to   = google_service_account_iam_member.grant["pubsub_agent_trigger_inference_token"]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_push_token
  to   = google_service_account_iam_member.grant["pubsub_agent_push_token"]
}

moved {
  from = google_service_account_iam_member.upload_url_self_token_creator
  to   = google_service_account_iam_member.grant["upload_url_self_token_creator"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.trigger_invoker["ocr"]
  to   = google_cloud_run_v2_service_iam_member.grant["trigger_ocr_invoker"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.trigger_invoker["features"]
  to   = google_cloud_run_v2_service_iam_member.grant["trigger_features_invoker"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.trigger_invoker["inference"]
  to   = google_cloud_run_v2_service_iam_member.grant["trigger_inference_invoker"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.scheduler_invokes_drift_check
  to   = google_cloud_run_v2_service_iam_member.grant["scheduler_invokes_drift_check"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.scheduler_invokes_retrain
  to   = google_cloud_run_v2_service_iam_member.grant["scheduler_invokes_retrain"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.scheduler_invokes_batch
  to   = google_cloud_run_v2_service_iam_member.grant["scheduler_invokes_batch"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.push_invokes_retrain
  to   = google_cloud_run_v2_service_iam_member.grant["push_invokes_retrain"]
}

moved {
  from = google_secret_manager_secret_iam_member.api_api_tokens
  to   = google_secret_manager_secret_iam_member.grant["api_api_tokens"]
}
