namespace Static.Api;

/// <summary>The Api's log events (event ids 5xxx), one method each.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "PostgreSQL cannot be reached: serving cached answers marked stale, 503 for the rest")]
    public static partial void DatabaseDown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "PostgreSQL answers again")]
    public static partial void DatabaseUp(ILogger logger);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "No admin tokens configured (STATIC_ADMIN_WRITE_TOKENS / STATIC_ADMIN_READ_TOKENS): every /admin route answers 401")]
    public static partial void NoAdminTokens(ILogger logger);
}
