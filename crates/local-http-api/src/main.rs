use std::{collections::BTreeMap, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::{Args, Parser, Subcommand};
use local_http_api::{
    gateway::{LocalApi, Settings},
    invoke::LambdaInvokeClient,
    jwks::{HttpJwksFetcher, KeyCache},
    server,
    template::{self, HttpApi, LocalValues, Resolver, RouteAuth, Template},
};
use tracing_subscriber::EnvFilter;

/// Runs the template's HTTP API locally, with its JWT authorizer enforced.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API: routes, CORS and JWT authorizers from the template, functions through
    /// the Lambda Invoke API of `cargo lambda watch`.
    Serve(ServeArgs),
    /// Print the routes and their authorization as read from the template.
    Routes(TemplateArgs),
    /// Print the names of the functions the routes invoke, one per line.
    Functions(TemplateArgs),
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
    api: Option<String>,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
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
struct ServeArgs {
    #[command(flatten)]
    template: TemplateArgs,
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, env = "API_PORT", default_value_t = 3000)]
    port: u16,
    /// Where the Lambda Invoke API is served (`cargo lambda watch`).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    invoke_endpoint: String,
    /// Fetch each issuer's OpenID discovery document from this origin instead of the issuer's
    /// host (the path is kept), e.g. the Cognito emulator. The issuer is still checked exactly.
    #[arg(long)]
    jwks_origin: Option<String>,
    /// Timeout for fetching signing keys, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    jwks_timeout_ms: u64,
    /// A token naming an unknown key id refetches the keys at most this often, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    jwks_refetch_cooldown_ms: u64,
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
            stack_name: self.stack_name.clone(),
            parameters: self.parameters.iter().cloned().collect::<BTreeMap<_, _>>(),
            resource_ids: self
                .resource_ids
                .iter()
                .cloned()
                .collect::<BTreeMap<_, _>>(),
            ..LocalValues::default()
        };
        Ok((template, values))
    }

    fn http_api(&self) -> Result<HttpApi, String> {
        let (template, values) = self.load()?;
        let resolver = Resolver::new(&template, &values);
        HttpApi::from_template(&template, &resolver, self.api.as_deref()).map_err(|e| e.to_string())
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
        Command::Routes(args) => args.http_api().map(|api| print_routes(&api)),
        Command::Functions(args) => args.http_api().map(|api| {
            let names: std::collections::BTreeSet<_> = api
                .routes
                .iter()
                .map(|r| r.function_name.as_str())
                .collect();
            names.iter().for_each(|name| println!("{name}"));
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

fn print_routes(api: &HttpApi) {
    for route in &api.routes {
        let auth = match &route.auth {
            RouteAuth::None => "no authorizer".to_owned(),
            RouteAuth::Jwt { authorizer, scopes } if scopes.is_empty() => {
                format!("JWT {authorizer}")
            }
            RouteAuth::Jwt { authorizer, scopes } => {
                format!("JWT {authorizer}, scopes {}", scopes.join(" "))
            }
        };
        println!("{} -> {} ({auth})", route.route_key(), route.function_name);
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
    let api = args.template.http_api()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let fetcher = HttpJwksFetcher::new(args.jwks_origin.clone(), Duration::from_millis(args.jwks_timeout_ms))
            .map_err(|e| e.to_string())?;
        let invoker = LambdaInvokeClient::new(&args.invoke_endpoint).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        for route in &api.routes {
            tracing::info!(route = %route.route_key(), function = %route.function_name, "route");
        }
        let local = LocalApi::new(
            api,
            Arc::new(KeyCache::new(fetcher).with_refetch_cooldown(Duration::from_millis(args.jwks_refetch_cooldown_ms))),
            invoker,
            Settings {
                account_id: "123456789012".into(),
                api_id: "local".into(),
                port,
            },
        );
        tracing::info!(url = %format!("http://{}:{port}", args.host), invoke_endpoint = %args.invoke_endpoint, "listening");
        server::serve(listener, Arc::new(local), server::shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}
