using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Static.Api.Admin;

/// <summary>
/// The admin credentials: bearer tokens from the environment (<c>STATIC_ADMIN_WRITE_TOKENS</c>,
/// <c>STATIC_ADMIN_READ_TOKENS</c>, comma-separated) or host configuration (<c>Static:Admin:WriteTokens</c>,
/// <c>Static:Admin:ReadTokens</c>). Only their SHA-256 digests are kept; a presented token is hashed and
/// compared with every digest in constant time. Tokens are never logged. With none configured every admin
/// route answers 401.
/// </summary>
public sealed class AdminTokens
{
    public const string ReadRole = "admin:read";
    public const string WriteRole = "admin:write";
    public const int MinLength = 24;

    /// <summary>
    /// The claim naming which token authenticated a request: the first 8 bytes of its SHA-256, in hex. The rate
    /// limiter partitions <c>/admin</c> by it; it reveals nothing usable about the token.
    /// </summary>
    public const string TokenIdClaim = "static:admin-token";

    private readonly List<(byte[] Digest, string Role)> digests = [];

    public AdminTokens(IEnumerable<string> writeTokens, IEnumerable<string> readTokens)
    {
        ArgumentNullException.ThrowIfNull(writeTokens);
        ArgumentNullException.ThrowIfNull(readTokens);
        foreach (var (tokens, role, name) in new[] { (writeTokens, WriteRole, "STATIC_ADMIN_WRITE_TOKENS"), (readTokens, ReadRole, "STATIC_ADMIN_READ_TOKENS") })
        {
            foreach (var token in tokens.Select(t => t.Trim()).Where(t => t.Length > 0))
            {
                if (token.Length < MinLength)
                {
                    // The message names the setting, never the token.
                    throw new InvalidOperationException($"{name}: every admin token must be at least {MinLength} characters (generate one with `openssl rand -hex 24`).");
                }

                digests.Add((SHA256.HashData(Encoding.UTF8.GetBytes(token)), role));
            }
        }
    }

    public int Count => digests.Count;

    public static AdminTokens FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        static string[] Split(string? value) => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new AdminTokens(
            Split(configuration["Static:Admin:WriteTokens"] ?? Environment.GetEnvironmentVariable("STATIC_ADMIN_WRITE_TOKENS")),
            Split(configuration["Static:Admin:ReadTokens"] ?? Environment.GetEnvironmentVariable("STATIC_ADMIN_READ_TOKENS")));
    }

    /// <summary>A presented token's <see cref="TokenIdClaim"/> value.</summary>
    public static string IdOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token ?? "")).AsSpan(0, 8));

    /// <summary>The role of <paramref name="token"/>, or null. Every digest is compared, whatever matches.</summary>
    public string? RoleOf(string token)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        string? role = null;
        foreach (var (digest, r) in digests)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, digest) && role != WriteRole)
            {
                role = r;
            }
        }

        return role;
    }
}

/// <summary>Authenticates <c>Authorization: Bearer …</c> against <see cref="AdminTokens"/>; 401/403 as problem details.</summary>
public sealed class AdminTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "StaticAdminToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var token = header["Bearer ".Length..].Trim();
        var role = tokens.RoleOf(token);
        if (role is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is not an admin token."));
        }

        var roles = role == AdminTokens.WriteRole ? new[] { AdminTokens.WriteRole, AdminTokens.ReadRole } : [AdminTokens.ReadRole];
        var identity = new ClaimsIdentity(roles.Select(r => new Claim(ClaimTypes.Role, r)).Append(new Claim(ClaimTypes.Name, role)).Append(new Claim(AdminTokens.TokenIdClaim, AdminTokens.IdOf(token))), SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"static-admin\"";
        await Results.Problem(statusCode: 401, title: "Unauthorized", detail: "Admin routes need 'Authorization: Bearer <token>' with a token from STATIC_ADMIN_WRITE_TOKENS or STATIC_ADMIN_READ_TOKENS.")
            .ExecuteAsync(Context).ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await Results.Problem(statusCode: 403, title: "Forbidden", detail: "This route changes the catalog: it needs a write token (STATIC_ADMIN_WRITE_TOKENS).")
            .ExecuteAsync(Context).ConfigureAwait(false);
}

public static class AdminAuthenticationExtensions
{
    public static IServiceCollection AddAdminAuthentication(this IServiceCollection services, AdminTokens tokens)
    {
        services.AddSingleton(tokens);
        services.AddAuthentication(AdminTokenHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, AdminTokenHandler>(AdminTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminTokens.ReadRole, p => p.RequireRole(AdminTokens.ReadRole))
            .AddPolicy(AdminTokens.WriteRole, p => p.RequireRole(AdminTokens.WriteRole));
        return services;
    }
}
