using Static.Publisher.Cli;

var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
return await PublisherCli.RunAsync(args, Console.Out, Console.Error, interactive: interactive).ConfigureAwait(false);
