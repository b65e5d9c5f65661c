# cmake/install.cmake: what `cmake --install` puts where, included from the
# root CMakeLists.txt after the library targets exist.
#
#   <prefix>/include/weft.h, include/weft/*.h      the public headers
#   <prefix>/<libdir>/libweft.so*                   target weft        (weft::weft)
#   <prefix>/<libdir>/libweft.a                     target weft_static (weft::weft_static)
#   <prefix>/<libdir>/pkgconfig/weft.pc             pkg-config module "weft"
#   <prefix>/<libdir>/cmake/weft/                   find_package(weft)
#
# The libraries link ck, jemalloc and hwloc PRIVATE. For libweft.so that is the
# end of it; libweft.a needs them on its consumers' link lines, so
#  - weft.pc lists them in Requires.private (pkg-config --static --libs weft);
#  - the exported weft::weft_static carries $<LINK_ONLY:PkgConfig::CK> etc.,
#    and weftConfig.cmake defines those PkgConfig:: targets for the consumer.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WEFT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)

# ---- headers ---------------------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/include/weft.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/weft/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/weft
        FILES_MATCHING PATTERN "*.h")

# ---- libraries and their CMake export set ----------------------------------
# INCLUDES DESTINATION puts the include directory on the exported targets'
# interface whatever $<INSTALL_INTERFACE:...> said where they were defined.
install(TARGETS weft weft_static
        EXPORT weftTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
                NAMELINK_COMPONENT Development
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT weftTargets
        NAMESPACE weft::
        DESTINATION ${WEFT_CMAKE_DIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/weftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/weftConfig.cmake
  INSTALL_DESTINATION ${WEFT_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weftConfig.cmake
              ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
        DESTINATION ${WEFT_CMAKE_DIR})

# ---- pkg-config ------------------------------------------------------------
# weft.pc is written at install time, so that its prefix is the one actually
# installed to (`cmake --install build --prefix /opt/weft` included), not the
# CMAKE_INSTALL_PREFIX the build was configured with. DESTDIR is not part of
# the prefix, as packagers expect.
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(WEFT_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(WEFT_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
set(WEFT_PC_FILE ${PROJECT_BINARY_DIR}/pkgconfig/weft.pc)
install(CODE "
  set(WEFT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(WEFT_PC_LIBDIR [[${WEFT_PC_LIBDIR}]])
  set(WEFT_PC_INCLUDEDIR [[${WEFT_PC_INCLUDEDIR}]])
  set(PROJECT_VERSION [[${PROJECT_VERSION}]])
  configure_file([[${CMAKE_CURRENT_LIST_DIR}/weft.pc.in]] [[${WEFT_PC_FILE}]] @ONLY)
" COMPONENT Development)
install(FILES ${WEFT_PC_FILE}
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT Development)
