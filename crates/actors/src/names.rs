//! Every agent type and task type CompanyOS ships, named once. Agents register under
//! these names, producers (watchers, REST routes, GraphQL mutations, coordinators)
//! address tasks with them; nothing else spells them.

// Agent types: watchers.
pub const GITHUB_WATCHER: &str = "github_watcher";
pub const VERCEL_WATCHER: &str = "vercel_watcher";
pub const FIGMA_WATCHER: &str = "figma_watcher";
pub const SLACK_WATCHER: &str = "slack_watcher";
pub const SOCIAL_WATCHER: &str = "social_watcher";

// Agent types: executors, coordinators, analysts.
pub const CODE_REVIEW: &str = "code_review";
pub const SECURITY: &str = "security";
pub const DEPLOYMENT: &str = "deployment";
pub const NOTIFICATION: &str = "notification";
pub const DEPLOYMENT_COORDINATOR: &str = "deployment_coordinator";
pub const INCIDENT_RESPONSE: &str = "incident_response";
pub const WORKFLOW_COORDINATOR: &str = "workflow_coordinator";
pub const TASK_ANALYTICS: &str = "task_analytics";
pub const TEXT_STATS: &str = "text_stats";
pub const ANALYTICS: &str = "analytics";
pub const ANOMALY_DETECTION: &str = "anomaly_detection";
pub const RECOMMENDATION: &str = "recommendation";
pub const PREDICTION: &str = "prediction";
pub const STANDUP: &str = "standup";
pub const CONTENT_WRITER: &str = "content_writer";
pub const CONTENT_PIPELINE: &str = "content_pipeline";
pub const ENGAGEMENT: &str = "engagement";
pub const DESIGN_QA: &str = "design_qa";
pub const COMPONENT_GENERATOR: &str = "component_generator";
/// An agent type whose tasks a watcher already writes; its agent is yet to ship, so
/// those tasks wait, visibly, until one is created: replies to mentions (`draft_reply`, from the social watcher).
pub const CONTENT: &str = "content";

// Task types.
pub const SYNC_INTEGRATION: &str = "sync_integration";
pub const SYNC_REPOSITORY: &str = "sync_repository";
pub const SYNC_FIGMA_FILE: &str = "sync_figma_file";
pub const ANALYZE_PR: &str = "analyze_pr";
pub const POST_REVIEW: &str = "post_review";
pub const SECURITY_SCAN: &str = "security_scan";
pub const CHECK_DEPLOYMENT: &str = "check_deployment";
pub const ANALYZE_DEPLOYMENT_FAILURE: &str = "analyze_deployment_failure";
pub const ROLLBACK: &str = "rollback";
pub const DEPLOY: &str = "deploy";
pub const NOTIFY: &str = "notify";
pub const REQUEST_APPROVAL: &str = "request_approval";
pub const ANSWER_REQUEST: &str = "answer_request";
pub const DEPLOY_PIPELINE: &str = "deploy_pipeline";
pub const OPEN_INCIDENT: &str = "open_incident";
pub const GENERATE_CODE: &str = "generate_code";
pub const CHECK_DESIGN_DRIFT: &str = "check_design_drift";
pub const OPEN_COMPONENT_PULL_REQUEST: &str = "open_component_pull_request";
pub const DRAFT_REPLY: &str = "draft_reply";
pub const PUBLISH_POST: &str = "publish_post";
pub const DRAFT_POST: &str = "draft_post";
pub const POLL_ENGAGEMENT: &str = "poll_engagement";
pub const POST_STANDUP: &str = "post_standup";
pub const RUN_WORKFLOW: &str = "run_workflow";
pub const TASK_SUCCESS_RATE: &str = "task_success_rate";
pub const COUNT_TEXT: &str = "count_text";
pub const COMPUTE_DELIVERY_METRICS: &str = "compute_delivery_metrics";
pub const DETECT_ANOMALIES: &str = "detect_anomalies";
pub const RECOMMEND: &str = "recommend";
pub const TRAIN_RISK_MODEL: &str = "train_risk_model";
pub const PREDICT_RISK: &str = "predict_risk";
pub const FORECAST_CONTENT: &str = "forecast_content";

// Slack interaction ids of the approval buttons.
pub const APPROVE_ACTION: &str = "companyos_approve_task";
pub const REJECT_ACTION: &str = "companyos_reject_task";
