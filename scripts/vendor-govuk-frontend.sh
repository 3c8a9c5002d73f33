#!/usr/bin/env bash
# Vendors the built GOV.UK Frontend CSS and JavaScript into crates/pooled-web/assets/, from
# which the web application embeds them in its binary: no CDN, nothing fetched at run time.
# Run it again after changing VERSION; commit what it writes.
#
# What it leaves out, on purpose: the GDS Transport font files and the GOV.UK crown images.
# The Design System allows them only on GOV.UK services; pooled runs on council and NHS
# domains, so its own stylesheet (assets/app.css) points the font at Arial and it draws its
# own icon.
set -euo pipefail
VERSION=6.6.0
cd "$(dirname "$0")/.."
dest=crates/pooled-web/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "govuk-frontend@$VERSION" >/dev/null && tar xzf "govuk-frontend-$VERSION.tgz")
dist="$work/package/dist/govuk"
mkdir -p "$dest"
cp "$dist/govuk-frontend.min.css" "$dest/govuk-frontend.min.css"
cp "$dist/govuk-frontend.min.js" "$dest/govuk-frontend.min.js"
# The CSS and JS end with a source map comment; the maps are not served, so drop it.
sed -i -e 's|/\*# sourceMappingURL=[^ ]* \*/$||' "$dest/govuk-frontend.min.css"
sed -i -e 's|//# sourceMappingURL=[^ ]*$||' "$dest/govuk-frontend.min.js"
echo "$VERSION" > "$dest/GOVUK_FRONTEND_VERSION"
echo "govuk-frontend $VERSION vendored into $dest"
