using System.CommandLine;
using Static.Publisher.Edge;
using Static.Shared.Configuration;

namespace Static.Publisher.Cli;

/// <summary><c>publisher edge-config [--out FILE]</c>: the Varnish VCL for the local edge.</summary>
internal static class EdgeConfigCommand
{
    public static Command Create(PublisherCli.CliContext context)
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the VCL here instead of standard output." };
        var cloudFront = new Option<FileInfo?>("--cloudfront") { Description = "Write a CloudFront DistributionConfig (JSON for 'aws cloudfront create-distribution') here instead." };
        var cloudFrontCors = new Option<FileInfo?>("--cloudfront-cors") { Description = "Write the CloudFront response headers policy for cross-origin reads (JSON for 'aws cloudfront create-response-headers-policy') here instead." };
        var command = new Command("edge-config", "Generate the edge's configuration from publish-config.json: Varnish VCL (default), a CloudFront distribution config, or its CORS response headers policy.") { output, cloudFront, cloudFrontCors };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await context.TryLoadAsync().ConfigureAwait(false) is not { } loaded)
            {
                return PublisherCli.ExitUsage;
            }

            if (parse.GetValue(cloudFrontCors) is { } policy)
            {
                await File.WriteAllTextAsync(policy.FullName, CloudFrontConfigGenerator.GenerateResponseHeadersPolicy(loaded.Config), cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Wrote {policy.FullName}: create it with aws cloudfront create-response-headers-policy --response-headers-policy-config file://{policy.FullName}, then set cdn.cloudFront.responseHeadersPolicyId to its id and generate the distribution config (docs/edge.md).").ConfigureAwait(false);
                return PublisherCli.ExitOk;
            }

            if (parse.GetValue(cloudFront) is { } distribution)
            {
                var bucketName = string.IsNullOrWhiteSpace(loaded.Stack.S3Bucket) ? loaded.Config.Store.Bucket : loaded.Stack.S3Bucket;
                await File.WriteAllTextAsync(distribution.FullName, CloudFrontConfigGenerator.Generate(loaded.Config, bucketName), cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Wrote {distribution.FullName}: deploy with aws cloudfront create-distribution --distribution-config file://{distribution.FullName} (docs/edge.md).").ConfigureAwait(false);
                return PublisherCli.ExitOk;
            }

            string vcl;
            try
            {
                var s3 = loaded.Stack.S3ServiceUrl ?? throw new ConfigException("STATIC_S3_SERVICE_URL is not set: run scripts/stack.sh up.");
                var bucket = string.IsNullOrWhiteSpace(loaded.Stack.S3Bucket) ? loaded.Config.Store.Bucket : loaded.Stack.S3Bucket;
                vcl = VarnishConfigGenerator.Generate(loaded.Config, new Uri(s3), bucket);
            }
            catch (ConfigException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return PublisherCli.ExitUsage;
            }

            if (parse.GetValue(output) is { } file)
            {
                if (file.Directory is { Exists: false } folder)
                {
                    await context.Error.WriteLineAsync($"error: --out {file.FullName}: the folder {folder.FullName} does not exist.").ConfigureAwait(false);
                    return PublisherCli.ExitUsage;
                }

                await File.WriteAllTextAsync(file.FullName, vcl, cancellationToken).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Wrote {file.FullName}.").ConfigureAwait(false);
            }
            else
            {
                await context.Out.WriteAsync(vcl).ConfigureAwait(false);
            }

            return PublisherCli.ExitOk;
        });
        return command;
    }
}
