using Microsoft.Extensions.Options;

namespace Static.Shared.Configuration;

/// <summary>
/// The data annotations on <see cref="PublishConfig"/> and, through <c>[ValidateObjectMembers]</c>, on every
/// section, checked by code the options source generator writes at build time (no reflection at run time).
/// </summary>
[OptionsValidator]
public sealed partial class PublishConfigValidator : IValidateOptions<PublishConfig>;
