using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Publisher.Seeding;
using Static.Publisher.Stores;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.Publisher.Cli;

/// <summary>
/// The publisher's command line. Exit codes: 0 done, 1 failed while running (a server down, a conflict),
/// 2 bad usage: an invalid argument or an invalid publish-config.json, reported before anything runs.
/// </summary>
public static class PublisherCli
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitBusy = 3;
    public const int ExitPaused = 4;

    public static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, StackSettings? settings = null, string? configPath = null,
        Action<IServiceCollection>? configureServices = null, bool interactive = false)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var context = new CliContext(stdout, stderr, settings, configPath, configureServices, interactive);
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Run 'publisher --help' for usage.").ConfigureAwait(false);
            return ExitUsage;
        }

        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }

    private static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Static publisher: renders the catalog into versioned static JSON and HTML on an object store.");
        root.Subcommands.Add(MigrateCommand(context));
        root.Subcommands.Add(SeedCommand(context));
        root.Subcommands.Add(PublishCommand.Create(context));
        foreach (var command in OperationsCommands.Create(context))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(InvalidationsCommand.Create(context));
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(EdgeConfigCommand.Create(context));
        root.Subcommands.Add(ConfigCommand(context));
        return root;
    }

    private static Command MigrateCommand(CliContext context)
    {
        var command = new Command("migrate", "Apply the database migrations (idempotent; the Api and Publisher also do this at start-up).");
        command.SetAction((_, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            var result = await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            await context.Out.WriteLineAsync(result.Applied.Count == 0
                ? $"Database is up to date ({result.AlreadyApplied} migrations applied earlier)."
                : $"Applied {result.Applied.Count} migration(s): {string.Join(", ", result.Applied)}.").ConfigureAwait(false);
            return ExitOk;
        }, cancellationToken));
        return command;
    }

    private static Command SeedCommand(CliContext context)
    {
        var products = new Option<int?>("--products") { Description = "Products to generate (1..1000000; default: seed.products in publish-config.json)." };
        products.Validators.Add(r => RequireRange(r, "--products", 1, 1_000_000));
        var categories = new Option<int?>("--categories") { Description = "Categories to generate (1..10000; default: seed.categories)." };
        categories.Validators.Add(r => RequireRange(r, "--categories", 1, 10_000));
        var seed = new Option<int?>("--seed") { Description = "Random seed; the same arguments always give the same rows (default: seed.randomSeed)." };
        var replace = new Option<bool>("--replace") { Description = "Delete a non-empty catalog and write the new one (one transaction)." };
        var ifEmpty = new Option<bool>("--if-empty") { Description = "Do nothing, successfully, when the catalog already has data (what ./run.sh uses)." };

        var command = new Command("seed", "Fill an empty catalog with a deterministic demo catalog.") { products, categories, seed, replace, ifEmpty };
        command.Validators.Add(r =>
        {
            if (r.GetValue(replace) && r.GetValue(ifEmpty))
            {
                r.AddError("--replace and --if-empty contradict each other: choose one.");
            }
        });
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            var config = services.GetRequiredService<PublishConfig>();
            var request = new DemoCatalogRequest(
                parse.GetValue(products) ?? config.Seed.Products,
                parse.GetValue(categories) ?? config.Seed.Categories,
                parse.GetValue(seed) ?? config.Seed.RandomSeed,
                config.Site.Currency);

            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var store = services.GetRequiredService<CatalogStore>();
            if (parse.GetValue(ifEmpty))
            {
                var counts = await store.CountAsync(ct).ConfigureAwait(false);
                if (!counts.IsEmpty)
                {
                    await context.Out.WriteLineAsync($"Catalog already has data ({counts.Products} products, {counts.Categories} categories); not seeding.").ConfigureAwait(false);
                    return ExitOk;
                }
            }

            var watch = Stopwatch.StartNew();
            await context.Out.WriteLineAsync($"Generating {request.Products} products in {request.Categories} categories (seed {request.Seed}) ...").ConfigureAwait(false);
            var snapshot = DemoCatalogGenerator.Generate(request);
            try
            {
                await store.WriteSnapshotAsync(snapshot, parse.GetValue(replace), ct).ConfigureAwait(false);
            }
            catch (CatalogNotEmptyException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitFailed;
            }

            await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Seeded {snapshot.Products.Count} products, {snapshot.Categories.Count} categories, {snapshot.Stock.Count} stock levels and the site config in {watch.Elapsed.TotalSeconds:0.0} s.")).ConfigureAwait(false);
            return ExitOk;
        }, cancellationToken));
        return command;
    }

    private static Command ConfigCommand(CliContext context)
    {
        var check = new Command("check", "Validate publish-config.json (and STATIC_CONFIG__* overrides) and print the result.");
        check.SetAction(async (_, cancellationToken) =>
        {
            var path = context.ConfigPath ?? PublishConfigLoader.Locate();
            try
            {
                var config = PublishConfigLoader.Load(path);
                await context.Out.WriteLineAsync($"{path}: valid (store {config.Store.Kind.ToString().ToLowerInvariant()}, seed {config.Seed.Products} products).").ConfigureAwait(false);
                return ExitOk;
            }
            catch (ConfigException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
        });
        var command = new Command("config", "Configuration commands.");
        command.Subcommands.Add(check);
        return command;
    }

    private static void RequireRange(System.CommandLine.Parsing.OptionResult result, string name, int min, int max)
    {
        if (result.Tokens.Count == 0)
        {
            return;
        }

        var raw = result.Tokens[0].Value;
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{name} must be a whole number between {min} and {max}; got '{raw}'.");
        }
        else if (value < min || value > max)
        {
            result.AddError($"{name} must be between {min} and {max}; got {value}.");
        }
    }

    /// <summary>What every command needs: output, the stack settings, publish-config.json, and a service provider.</summary>
    internal sealed class CliContext(
        TextWriter stdout, TextWriter stderr, StackSettings? settings, string? configPath,
        Action<IServiceCollection>? configureServices, bool interactive)
    {
        /// <summary>A terminal is attached: progress bars are welcome.</summary>
        public bool Interactive { get; } = interactive;

        public TextWriter Out { get; } = stdout;

        public TextWriter Error { get; } = stderr;

        public string? ConfigPath { get; } = configPath;

        /// <summary>Loads publish-config.json and the stack settings; on failure writes the error and returns false.</summary>
        public async Task<(PublishConfig Config, StackSettings Stack, string ConfigPath)?> TryLoadAsync()
        {
            var path = ConfigPath ?? PublishConfigLoader.Locate();
            try
            {
                var config = PublishConfigLoader.Load(path);
                var stack = settings ?? StackSettings.Load();
                stack.RequireDatabase();
                return (config, stack, path);
            }
            catch (ConfigException e)
            {
                await Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return null;
            }
        }

        public async Task<int> RunAsync(Func<IServiceProvider, CancellationToken, Task<int>> body, CancellationToken cancellationToken, bool publishing = false)
        {
            PublishConfig config;
            string database;
            StackSettings stack;
            var path = ConfigPath ?? PublishConfigLoader.Locate();
            try
            {
                config = PublishConfigLoader.Load(path);
                stack = settings ?? StackSettings.Load();
                database = stack.RequireDatabase();
            }
            catch (ConfigException e)
            {
                await Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }

            var services = new ServiceCollection()
                .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("Npgsql", LogLevel.Warning))
                .AddSingleton(config)
                .AddCatalogStore(database);
            configureServices?.Invoke(services);
            if (publishing)
            {
                services.AddObjectStore(config, stack, Path.GetDirectoryName(Path.GetFullPath(path))!);
                services.AddCdnInvalidation(config, stack);
                services.AddPublishing(new RendererSource(ArtifactRenderer.CreateAsync));
            }

            await using var provider = services.BuildServiceProvider();
            try
            {
                return await body(provider, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (e.InnerException is System.Net.Sockets.SocketException || e is NpgsqlException { IsTransient: true })
            {
                await Error.WriteLineAsync($"error: cannot reach PostgreSQL ({e.Message}). Is the stack up? Run scripts/stack.sh up.").ConfigureAwait(false);
                return ExitFailed;
            }
            catch (ConfigException e)
            {
                // A setting checked when its service is first built (STATIC_EDGE_URL for cdn.kind varnish, ...).
                await Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (PublishBusyException e)
            {
                await Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitBusy;
            }
            catch (Operations.PublishPausedException e)
            {
                await Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitPaused;
            }
            catch (ObjectStoreUnavailableException e)
            {
                await Error.WriteLineAsync($"error: {e.Message} The live version is unchanged.").ConfigureAwait(false);
                return ExitFailed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Error.WriteLineAsync("cancelled").ConfigureAwait(false);
                return ExitFailed;
            }
        }
    }
}
