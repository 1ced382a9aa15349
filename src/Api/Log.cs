namespace Static.Api;

/// <summary>The Api's log events (event ids 5xxx), one method each.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "PostgreSQL cannot be reached: serving cached answers marked stale, 503 for the rest")]
    public static partial void DatabaseDown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "PostgreSQL answers again")]
    public static partial void DatabaseUp(ILogger logger);
}
