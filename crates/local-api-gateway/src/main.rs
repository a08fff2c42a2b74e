use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use clap::{Args, Parser, Subcommand};
use local_api_gateway::{
    gateway::{Gateway, Settings},
    invoke::LambdaInvokeClient,
    keys::{HttpJwksFetcher, KeyCache, KeyCacheSettings},
    model::{Api, ApiKind, Integration, RouteAuth},
    server,
    template::{self, ApiType, LocalValues, Resolver, Template},
    verify::Verifier,
};
use tracing_subscriber::EnvFilter;

/// Runs the template's HTTP API and REST API locally, with their authorizers enforced.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the APIs: the HTTP API on --port, the REST API (under its stage path) on
    /// --rest-port; routes, CORS and authorizers from the template, functions through the
    /// Lambda Invoke API of `cargo lambda watch`.
    Serve(ServeArgs),
    /// Print each API's routes and their authorization as read from the template.
    Routes(TemplateArgs),
    /// Print the base URL each API gets from `serve` (API_URL=..., REST_API_URL=... with the
    /// stage path), as environment lines.
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
    /// Logical id of the AWS::Serverless::HttpApi (default: the template's only one).
    #[arg(long)]
    http_api: Option<String>,
    /// Logical id of the AWS::Serverless::Api (default: the template's only one).
    #[arg(long)]
    rest_api: Option<String>,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    #[arg(long, default_value = "local")]
    stack_name: String,
    /// A template parameter's value: Name=Value (repeatable).
    #[arg(long = "parameter", value_parser = key_value)]
    parameters: Vec<(String, String)>,
    /// The local id of a resource, for !Ref and !GetAtt: LogicalId=Id (repeatable).
    #[arg(long = "resource-id", value_parser = key_value)]
    resource_ids: Vec<(String, String)>,
}

#[derive(Args)]
struct ListenArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The HTTP API's port.
    #[arg(long, env = "API_PORT", default_value_t = 3000)]
    port: u16,
    /// The REST API's port.
    #[arg(long, env = "REST_API_PORT", default_value_t = 3001)]
    rest_port: u16,
}

impl ListenArgs {
    /// The port `api` is served on, and the path its routes are under.
    fn place(&self, api: &Api) -> (u16, String) {
        let base = api
            .primary_stage()
            .map(|s| s.base_path())
            .unwrap_or_default();
        match api.kind {
            ApiKind::Http => (self.port, base),
            ApiKind::Rest => (self.rest_port, base),
        }
    }
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
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{s}`"))
}

impl TemplateArgs {
    fn load(&self) -> Result<(Template, LocalValues), String> {
        let template = Template::load(&self.template).map_err(|e| e.to_string())?;
        let values = LocalValues {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            stack_name: self.stack_name.clone(),
            parameters: self.parameters.iter().cloned().collect::<BTreeMap<_, _>>(),
            resource_ids: self
                .resource_ids
                .iter()
                .cloned()
                .collect::<BTreeMap<_, _>>(),
        };
        Ok((template, values))
    }

    /// The template's HTTP API and REST API, those it has.
    fn apis(&self) -> Result<Vec<Api>, String> {
        let (template, values) = self.load()?;
        let resolver = Resolver::new(&template, &values);
        let mut apis = Vec::new();
        for (kind, id) in [
            (ApiType::Http, self.http_api.as_deref()),
            (ApiType::Rest, self.rest_api.as_deref()),
        ] {
            if let Some(api) =
                template::read_api(&template, &resolver, kind, id).map_err(|e| e.to_string())?
            {
                apis.push(api);
            }
        }
        if apis.is_empty() {
            return Err(format!(
                "{} has no AWS::Serverless::HttpApi or AWS::Serverless::Api with a function event",
                self.template.display()
            ));
        }
        Ok(apis)
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Routes(args) => args.apis().map(|apis| print_routes(&apis)),
        Command::Urls { template, listen } => template.apis().map(|apis| {
            for api in &apis {
                let (port, base) = listen.place(api);
                let name = match api.kind {
                    ApiKind::Http => "API_URL",
                    ApiKind::Rest => "REST_API_URL",
                };
                println!("{name}=http://{}:{port}{base}", listen.host);
            }
        }),
        Command::Functions(args) => args.apis().map(|apis| {
            let names: BTreeSet<&str> = apis
                .iter()
                .flat_map(|api| &api.routes)
                .filter_map(|r| r.function())
                .map(|f| f.name.as_str())
                .collect();
            names.iter().for_each(|name| println!("{name}"));
        }),
        Command::FunctionEnv(args) => args.load().and_then(|(template, values)| {
            let resolver = Resolver::new(&template, &values);
            let env =
                template::function_environment(&template, &resolver).map_err(|e| e.to_string())?;
            env.iter()
                .for_each(|(name, value)| println!("{name}={value}"));
            Ok(())
        }),
        Command::CognitoInput { template, resource } => cognito_input(&template, &resource),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_routes(apis: &[Api]) {
    for api in apis {
        let prefix = api
            .primary_stage()
            .map(|s| s.base_path())
            .unwrap_or_default();
        for route in &api.routes {
            let auth = match &route.auth {
                RouteAuth::None => "no authorizer".to_owned(),
                RouteAuth::Authorizer { name, scopes } if scopes.is_empty() => name.clone(),
                RouteAuth::Authorizer { name, scopes } => {
                    format!("{name}, scopes {}", scopes.join(" "))
                }
            };
            let key = if route.path == "$default" {
                route.route_key()
            } else {
                format!("{} {prefix}{}", route.method, route.path)
            };
            let target = match &route.integration {
                Integration::Lambda(lambda) => lambda.function.name.clone(),
                Integration::Mock(mock) => format!("MOCK {}", mock.status),
            };
            println!(
                "{} ({}): {key} -> {target} ({auth})",
                api.id,
                api.kind.name(),
            );
        }
    }
}

fn cognito_input(args: &TemplateArgs, resource: &str) -> Result<(), String> {
    let (template, values) = args.load()?;
    let resolver = Resolver::new(&template, &values);
    let input =
        template::create_input(&template, &resolver, resource).map_err(|e| e.to_string())?;
    println!("{input}");
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let apis = args.template.apis()?;
    let account_id = args.template.account_id.clone();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let fetcher = HttpJwksFetcher::new(
            args.jwks_origin.clone(),
            Duration::from_millis(args.jwks_timeout_ms),
            args.jwks_ca_file.as_deref(),
        )
        .map_err(|e| e.to_string())?;
        let keys = KeyCache::with_settings(
            fetcher,
            KeyCacheSettings {
                ttl: Duration::from_millis(args.jwks_ttl_ms),
                max_staleness: Duration::from_millis(args.jwks_max_staleness_ms),
                cooldown: Duration::from_millis(args.jwks_refetch_cooldown_ms),
            },
        );
        let verifier = Arc::new(Verifier::new(Arc::new(keys)));
        let invoker = LambdaInvokeClient::new(&args.invoke_endpoint).map_err(|e| e.to_string())?;
        let (stop, stopped) = tokio::sync::watch::channel(());
        let mut servers = tokio::task::JoinSet::new();
        for api in apis {
            let (port, base) = args.listen.place(&api);
            let host = args.listen.host.as_str();
            let listener = tokio::net::TcpListener::bind((host, port))
                .await
                .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            for route in &api.routes {
                tracing::info!(api = %api.id, route = %route.route_key(), function = route.function().map_or("-", |f| f.name.as_str()), "route");
            }
            tracing::info!(api = %api.id, kind = api.kind.name(), url = %format!("http://{host}:{port}{base}"), "listening");
            let gateway = Gateway::new(
                api.clone(),
                Arc::clone(&verifier),
                invoker.clone(),
                Settings {
                    account_id: account_id.clone(),
                    api_id: api.id.to_ascii_lowercase(),
                    port,
                },
            );
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
                match ended {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => return Err(err.to_string()),
                    Err(err) => return Err(err.to_string()),
                }
            }
        }
        while let Some(ended) = servers.join_next().await {
            if let Ok(Err(err)) = ended {
                return Err(err.to_string());
            }
        }
        Ok(())
    })
}
