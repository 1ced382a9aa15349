using Static.Publisher.Cli;

return await PublisherCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
