use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use local_api_gateway::{
    authorizer::iam::Credentials,
    gateway::{Gateway, Settings},
    invoke::LambdaInvokeClient,
    keys::{HttpJwksFetcher, KeyCache, KeyCacheSettings},
    model::{Api, ApiKind, RouteAuth},
    server,
    template::{self, LocalValues, Reading, Resolver, Template},
    verify::Verifier,
};
use tracing_subscriber::EnvFilter;

/// Serves every API of a SAM template locally, with its authorizers enforced as API Gateway
/// enforces them.
///
/// Reads the template itself: SAM's APIs and events (as the SAM translator builds them), OpenAPI
/// bodies, raw AWS::ApiGateway* / AWS::ApiGatewayV2* resources. Each API gets its own port.
/// Functions (and Lambda authorizers) are invoked through a Lambda Invoke API endpoint: `cargo
/// lambda watch`, or `sam local start-lambda` for other runtimes.
///
/// Authorizers, enforced locally:
///   JWT (HTTP API): signature by the issuer's keys, iss, aud/client_id, route scopes;
///   Cognito user pools (REST API): the pools' keys, ID or access token by method scopes;
///   Lambda TOKEN / REQUEST (REST), REQUEST 1.0 / 2.0 (HTTP): the function's policy or
///     isAuthorized, cached by identity for ReauthorizeEvery;
///   AWS_IAM: a Signature Version 4 by the credentials given (--iam-*; IAM policies are not
///     evaluated);
///   API keys (REST): x-api-key, or the authorizer's usageIdentifierKey, in a usage plan of the
///     stage.
/// What it refuses to serve, and every choice where AWS's documentation is silent:
/// crates/local-api-gateway/README.md.
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every API, each on its own port (see `urls`).
    Serve(ServeArgs),
    /// Print every API with its URL, and each route with its integration and the authorization
    /// that will be enforced.
    Routes {
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Print each API's base URL as environment lines: URL_<LogicalId>=http://127.0.0.1:<port>[/<stage>],
    /// and API_URL / REST_API_URL where the template has one HTTP API / one REST API.
    Urls {
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Print the names of the functions the routes invoke, one per line.
    Functions(TemplateArgs),
    /// Print the functions' environment variables (NAME=value lines, for `cargo lambda watch
    /// --env-file`).
    FunctionEnv(TemplateArgs),
    /// Print every user pool and its app clients as the local stack creates them in the
    /// emulator (JSON: each resource's create-user-pool / create-user-pool-client input).
    CognitoSeed(TemplateArgs),
    /// Print the `--cli-input-json` for `aws cognito-idp create-user-pool` or
    /// `create-user-pool-client`, from a resource's properties.
    CognitoInput {
        #[command(flatten)]
        template: TemplateArgs,
        /// Logical id of the AWS::Cognito::UserPool or AWS::Cognito::UserPoolClient.
        #[arg(long)]
        resource: String,
    },
}

#[derive(Args)]
struct TemplateArgs {
    /// The SAM template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    #[arg(long, default_value = "local")]
    stack_name: String,
    /// A template parameter's value: Name=Value (repeatable). Needed for parameters without a
    /// Default, and for SSM-typed ones.
    #[arg(long = "parameter", value_parser = key_value)]
    parameters: Vec<(String, String)>,
    /// The local id of a resource, for !Ref and !GetAtt: LogicalId=Id (repeatable). Without
    /// one, a resource's id is its logical id.
    #[arg(long = "resource-id", value_parser = key_value)]
    resource_ids: Vec<(String, String)>,
    /// The value of a !GetAtt the template cannot give (a nested stack's output):
    /// LogicalId.Attribute=Value (repeatable).
    #[arg(long = "attribute", value_parser = key_value)]
    attributes: Vec<(String, String)>,
    /// An API key's value: LogicalId=Value for a key of the template without one (AWS would
    /// generate it; else it is `local-<LogicalId>`), Name=Value for a key made outside the stack,
    /// which then calls every stage of every REST API (repeatable).
    #[arg(long = "api-key", value_parser = key_value)]
    api_keys: Vec<(String, String)>,
}

#[derive(Args)]
struct ListenArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The first port: APIs without --api-port get free ports from here upward (HTTP APIs
    /// first, then REST APIs, each by logical id), the same ones every run.
    #[arg(long, env = "API_PORT", default_value_t = 3000)]
    port: u16,
    /// An API's port: LogicalId=PORT (repeatable).
    #[arg(long = "api-port", value_parser = key_port)]
    api_ports: Vec<(String, u16)>,
    /// The port of the template's REST API, when it has one.
    #[arg(long, env = "REST_API_PORT")]
    rest_port: Option<u16>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    template: TemplateArgs,
    #[command(flatten)]
    listen: ListenArgs,
    /// Where the Lambda Invoke API is served (`cargo lambda watch`).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    invoke_endpoint: String,
    /// Fetch each issuer's OpenID discovery document from this origin instead of the issuer's
    /// host (the path is kept), e.g. the Cognito emulator. The issuer is still checked exactly.
    /// Without it, keys come from the issuer itself over HTTPS (a deployed user pool).
    #[arg(long)]
    jwks_origin: Option<String>,
    /// A PEM file of extra root certificates to trust when fetching keys over HTTPS.
    #[arg(long)]
    jwks_ca_file: Option<PathBuf>,
    /// Timeout for fetching signing keys, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    jwks_timeout_ms: u64,
    /// At most one key fetch per issuer this often after an unknown key id or a failed fetch,
    /// in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    jwks_refetch_cooldown_ms: u64,
    /// How long fetched keys are used before they are fetched again, in milliseconds.
    #[arg(long, default_value_t = 3_600_000)]
    jwks_ttl_ms: u64,
    /// How long past that the last keys still serve while the issuer is unreachable, in
    /// milliseconds; then requests fail closed.
    #[arg(long, default_value_t = 3_600_000)]
    jwks_max_staleness_ms: u64,
    #[command(flatten)]
    iam: IamArgs,
}

/// Whose signatures `AWS_IAM` routes accept: the same variables the aws CLI and SDKs sign with
/// (`eval "$(aws configure export-credentials --format env)"` exports a profile's).
#[derive(Args)]
struct IamArgs {
    /// The access key id whose signatures AWS_IAM routes accept.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    iam_access_key_id: Option<String>,
    /// Its secret access key.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    iam_secret_access_key: Option<String>,
    /// Its session token, for temporary credentials.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    iam_session_token: Option<String>,
}

impl IamArgs {
    fn credentials(&self, account_id: &str) -> anyhow::Result<Vec<Credentials>> {
        match (&self.iam_access_key_id, &self.iam_secret_access_key) {
            (Some(id), Some(secret)) => Ok(vec![Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: self.iam_session_token.clone(),
                account_id: account_id.to_owned(),
                user_arn: format!("arn:aws:iam::{account_id}:user/local"),
            }]),
            (None, None) => Ok(Vec::new()),
            _ => bail!("--iam-access-key-id and --iam-secret-access-key go together"),
        }
    }
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{s}`"))
}

fn key_port(s: &str) -> Result<(String, u16), String> {
    let (id, port) = key_value(s)?;
    let port = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port number"))?;
    Ok((id, port))
}

impl TemplateArgs {
    fn values(&self) -> LocalValues {
        LocalValues {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            stack_name: self.stack_name.clone(),
            parameters: self.parameters.iter().cloned().collect(),
            resource_ids: self.resource_ids.iter().cloned().collect(),
            attributes: self.attributes.iter().cloned().collect(),
            api_keys: self.api_keys.iter().cloned().collect(),
        }
    }

    fn load(&self) -> anyhow::Result<Template> {
        Ok(Template::load(&self.template)?)
    }

    /// Every API of the template.
    fn apis(&self) -> anyhow::Result<Reading> {
        let reading = template::read_apis(&self.load()?, &self.values())?;
        if reading.apis.is_empty() {
            bail!(
                "{} has no API with routes (AWS::Serverless::Api/HttpApi, AWS::ApiGateway::RestApi, AWS::ApiGatewayV2::Api)",
                self.template.display()
            );
        }
        Ok(reading)
    }
}

/// Where each API is served.
struct Placement {
    port: u16,
    /// The primary stage's path (`/dev`), empty for `$default`.
    base: String,
}

impl ListenArgs {
    /// Each API's port: pinned ones as given, the others from `--port` upward, skipping taken
    /// ones, in the readers' order (stable for the same arguments).
    fn place(&self, apis: &[Api]) -> anyhow::Result<Vec<Placement>> {
        let mut pinned: BTreeMap<&str, u16> = BTreeMap::new();
        for (id, port) in &self.api_ports {
            if !apis.iter().any(|api| api.id == *id) {
                bail!("--api-port {id}={port}: the template has no API {id}");
            }
            pinned.insert(id, *port);
        }
        if let Some(port) = self.rest_port {
            let rest: Vec<&Api> = apis.iter().filter(|a| a.kind == ApiKind::Rest).collect();
            if let [only] = rest.as_slice() {
                pinned.entry(&only.id).or_insert(port);
            }
        }
        let taken: BTreeSet<u16> = pinned.values().copied().collect();
        let mut next = self.port;
        let mut placements = Vec::new();
        for api in apis {
            let port = match pinned.get(api.id.as_str()) {
                Some(port) => *port,
                None => {
                    while taken.contains(&next) {
                        next = next.checked_add(1).context("no ports left")?;
                    }
                    let port = next;
                    next = next.saturating_add(1);
                    port
                }
            };
            let base = api
                .primary_stage()
                .map(|s| s.base_path())
                .unwrap_or_default();
            placements.push(Placement { port, base });
        }
        Ok(placements)
    }

    fn url(&self, placement: &Placement) -> String {
        format!("http://{}:{}{}", self.host, placement.port, placement.base)
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args),
        Command::Routes { template, listen } => {
            let reading = template.apis()?;
            for warning in &reading.warnings {
                eprintln!("warning: {warning}");
            }
            print_routes(&reading.apis, &listen.place(&reading.apis)?, &listen);
            Ok(())
        }
        Command::Urls { template, listen } => {
            let apis = template.apis()?.apis;
            let placements = listen.place(&apis)?;
            for (api, placement) in apis.iter().zip(&placements) {
                println!("URL_{}={}", api.id, listen.url(placement));
            }
            for (kind, name) in [(ApiKind::Http, "API_URL"), (ApiKind::Rest, "REST_API_URL")] {
                let of_kind: Vec<&Placement> = apis
                    .iter()
                    .zip(&placements)
                    .filter(|(api, _)| api.kind == kind)
                    .map(|(_, placement)| placement)
                    .collect();
                if let [only] = of_kind.as_slice() {
                    println!("{name}={}", listen.url(only));
                }
            }
            let keys: BTreeMap<&str, &str> = apis
                .iter()
                .flat_map(|api| &api.api_keys.keys)
                .map(|key| (key.id.as_str(), key.value.as_str()))
                .collect();
            for (id, value) in keys {
                println!("API_KEY_{id}={value}");
            }
            Ok(())
        }
        Command::Functions(args) => {
            let names: BTreeSet<String> = args
                .apis()?
                .apis
                .iter()
                .flat_map(|api| &api.routes)
                .filter_map(|route| route.function())
                .map(|function| function.name.clone())
                .collect();
            names.iter().for_each(|name| println!("{name}"));
            Ok(())
        }
        Command::FunctionEnv(args) => {
            let env = template::function_environment(&args.load()?, &args.values())?;
            env.iter()
                .for_each(|(name, value)| println!("{name}={value}"));
            Ok(())
        }
        Command::CognitoSeed(args) => {
            let loaded = args.load()?;
            let values = args.values();
            let seed = template::cognito_seed(&loaded, &Resolver::new(&loaded, &values))?;
            println!("{seed}");
            Ok(())
        }
        Command::CognitoInput { template, resource } => {
            let loaded = template.load()?;
            let values = template.values();
            let input =
                template::create_input(&loaded, &Resolver::new(&loaded, &values), &resource)?;
            println!("{input}");
            Ok(())
        }
    }
}

fn print_routes(apis: &[Api], placements: &[Placement], listen: &ListenArgs) {
    for (api, placement) in apis.iter().zip(placements) {
        let stages: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
        println!(
            "{} ({}) {}   stages: {}",
            api.id,
            api.kind.name(),
            listen.url(placement),
            stages.join(", ")
        );
        for route in &api.routes {
            let auth = match &route.auth {
                RouteAuth::None => "no authorization".to_owned(),
                RouteAuth::Iam => {
                    "AWS_IAM: a Signature Version 4 by the known credentials".to_owned()
                }
                RouteAuth::Authorizer { name, scopes } => {
                    let config = api
                        .authorizers
                        .get(name)
                        .map_or_else(|| "?".to_owned(), ToString::to_string);
                    if scopes.is_empty() {
                        format!("{name}: {config}")
                    } else {
                        format!("{name}: {config}; scopes {}", scopes.join(" "))
                    }
                }
            };
            println!("  {:<28} -> {}", route.route_key(), route.integration);
            println!("  {:<28}    {auth}", "");
            if route.api_key_required {
                println!("  {:<28}    and an API key {}", "", api.api_keys.source);
            }
        }
        for key in &api.api_keys.keys {
            println!(
                "  API key {} = {}   stages: {}",
                key.id,
                key.value,
                key.stages.join(", ")
            );
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let reading = args.template.apis()?;
    for warning in &reading.warnings {
        tracing::warn!("{warning}");
    }
    let placements = args.listen.place(&reading.apis)?;
    let account_id = args.template.account_id.clone();
    let region = args.template.region.clone();
    let credentials = args.iam.credentials(&account_id)?;
    let signed = reading
        .apis
        .iter()
        .flat_map(|api| &api.routes)
        .any(|route| route.auth == RouteAuth::Iam);
    if signed && credentials.is_empty() {
        tracing::warn!(
            "AWS_IAM routes refuse every request: no credentials to check signatures against (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --iam-access-key-id and --iam-secret-access-key)"
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let fetcher = HttpJwksFetcher::new(
            args.jwks_origin.clone(),
            Duration::from_millis(args.jwks_timeout_ms),
            args.jwks_ca_file.as_deref(),
        )?;
        let keys = KeyCache::with_settings(
            fetcher,
            KeyCacheSettings {
                ttl: Duration::from_millis(args.jwks_ttl_ms),
                max_staleness: Duration::from_millis(args.jwks_max_staleness_ms),
                cooldown: Duration::from_millis(args.jwks_refetch_cooldown_ms),
            },
        );
        let verifier = Arc::new(Verifier::new(Arc::new(keys)));
        let invoker = LambdaInvokeClient::new(&args.invoke_endpoint)?;
        let (stop, stopped) = tokio::sync::watch::channel(());
        let mut servers = tokio::task::JoinSet::new();
        for (api, placement) in reading.apis.into_iter().zip(placements) {
            let host = args.listen.host.as_str();
            let listener = tokio::net::TcpListener::bind((host, placement.port))
                .await
                .with_context(|| format!("cannot listen on {host}:{} for {}", placement.port, api.id))?;
            for route in &api.routes {
                tracing::info!(api = %api.id, route = %route.route_key(), target = %route.integration, "route");
            }
            tracing::info!(api = %api.id, kind = api.kind.name(), url = %args.listen.url(&placement), "listening");
            let settings = Settings {
                region: region.clone(),
                account_id: account_id.clone(),
                api_id: api.id.to_ascii_lowercase(),
                port: placement.port,
                credentials: credentials.clone(),
            };
            let gateway = Gateway::new(api, Arc::clone(&verifier), invoker.clone(), settings);
            let mut stopped = stopped.clone();
            servers.spawn(server::serve(listener, Arc::new(gateway), async move {
                let _ = stopped.changed().await;
            }));
        }
        tracing::info!(invoke_endpoint = %args.invoke_endpoint, "serving");
        tokio::select! {
            () = server::shutdown_signal() => {
                let _ = stop.send(());
            }
            Some(ended) = servers.join_next() => {
                let _ = stop.send(());
                ended??;
            }
        }
        while let Some(ended) = servers.join_next().await {
            ended??;
        }
        Ok(())
    })
}
