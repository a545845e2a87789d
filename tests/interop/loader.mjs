// Resolve hook for wukongimjssdk 1.0.4 under Node 20: its ESM build uses
// extensionless ("./proto") and directory imports, which Node rejects.
// Retry a failed relative specifier with ".js", then "/index.js".
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) throw err;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await next(specifier + suffix, context);
      } catch {}
    }
    throw err;
  }
}
