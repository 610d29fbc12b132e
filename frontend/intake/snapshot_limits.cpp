#include "snapshot_limits.h"

#include <capnp/dynamic.h>

#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

namespace mmx {
namespace {

std::string_view view(kj::StringPtr text) {
  return {text.cStr(), text.size()};
}

// Walks a snapshot through the reflection API: every field of every struct,
// every element of every list.
class SnapshotChecker {
 public:
  std::string check(schema::Snapshot::Reader snapshot) {
    walk_struct(capnp::toDynamic(snapshot));
    return problem_;
  }

 private:
  void walk_struct(const capnp::DynamicStruct::Reader& reader) {
    const std::string_view struct_name = view(reader.getSchema().getShortDisplayName());
    for (auto field : reader.getSchema().getNonUnionFields()) {
      walk_field(struct_name, field, reader.get(field));
    }
    KJ_IF_MAYBE (field, reader.which()) {
      walk_field(struct_name, *field, reader.get(*field));
    }
  }

  void walk_field(std::string_view struct_name, const capnp::StructSchema::Field& field,
                  const capnp::DynamicValue::Reader& value) {
    if (!problem_.empty()) return;
    const std::string_view field_name = view(field.getProto().getName());
    switch (value.getType()) {
      case capnp::DynamicValue::TEXT:
        check_text(struct_name, field_name, value.as<capnp::Text>().size());
        break;
      case capnp::DynamicValue::DATA:
        check_text(struct_name, field_name, value.as<capnp::Data>().size());
        break;
      case capnp::DynamicValue::STRUCT:
        walk_struct(value.as<capnp::DynamicStruct>());
        break;
      case capnp::DynamicValue::LIST:
        walk_list(struct_name, field_name, value.as<capnp::DynamicList>());
        break;
      default:
        break;  // scalars, enums
    }
  }

  void walk_list(std::string_view struct_name, std::string_view field_name,
                 const capnp::DynamicList::Reader& list) {
    const auto limit = list_limit(struct_name, field_name);
    if (!limit) {
      problem_ = "list " + where(struct_name, field_name) + " has no limit (frontend too old?)";
      return;
    }
    const ListLimit& l = kListLimits[*limit];
    std::uint64_t& total = totals_[*limit];
    total += list.size();
    if (list.size() > l.per_list) {
      problem_ = where(struct_name, field_name) + " has " + std::to_string(list.size()) +
                 " elements, more than " + std::to_string(l.per_list);
      return;
    }
    if (total > l.per_snapshot) {
      problem_ = where(struct_name, field_name) + " has more than " +
                 std::to_string(l.per_snapshot) + " elements in all";
      return;
    }
    for (auto element : list) {
      switch (element.getType()) {
        case capnp::DynamicValue::TEXT:
          check_text(struct_name, field_name, element.as<capnp::Text>().size());
          break;
        case capnp::DynamicValue::STRUCT:
          walk_struct(element.as<capnp::DynamicStruct>());
          break;
        default:
          break;  // the schema has no lists of lists or of data
      }
      if (!problem_.empty()) return;
    }
  }

  void check_text(std::string_view struct_name, std::string_view field_name, std::size_t size) {
    std::size_t max = kMaxTextBytes;
    for (const TextLimit& limit : kLabelTextLimits) {
      if (limit.struct_name == struct_name && limit.field == field_name) max = limit.max_bytes;
    }
    if (size > max) {
      problem_ = where(struct_name, field_name) + " is " + std::to_string(size) +
                 " bytes long, more than " + std::to_string(max);
    }
  }

  static std::optional<std::size_t> list_limit(std::string_view struct_name,
                                               std::string_view field_name) {
    for (std::size_t i = 0; i < std::size(kListLimits); ++i) {
      if (kListLimits[i].struct_name == struct_name && kListLimits[i].field == field_name) {
        return i;
      }
    }
    return std::nullopt;
  }

  static std::string where(std::string_view struct_name, std::string_view field_name) {
    return std::string(struct_name) + "." + std::string(field_name);
  }

  std::array<std::uint64_t, std::size(kListLimits)> totals_{};
  std::string problem_;
};

}  // namespace

Expected<> check_snapshot(schema::Snapshot::Reader snapshot) {
  std::string problem = SnapshotChecker().check(snapshot);
  if (!problem.empty()) return fail(std::move(problem));
  return {};
}

}  // namespace mmx
