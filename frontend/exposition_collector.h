#pragma once
// The collector's own families of the snapshot part: how it talks to
// ModemManager over D-Bus (its call window and retries). Rendered by
// render_exposition (exposition.h) after the scrape families.

#include "exposition_writer.h"
#include "snapshot.capnp.h"

namespace mmx {

void render_dbus_calls(ExpositionWriter& w, schema::Collection::Reader collection);

}  // namespace mmx
